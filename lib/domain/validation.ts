import * as z from 'zod';
import { ClientException, type DomainError } from '../errors';

/** "containerDefinitions[0].image" from zod's path. */
export const fieldPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)),
    '',
  );

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  array: 'a list',
  record: 'an object',
};

const list = (values: ReadonlyArray<unknown>) => values.map((value) => String(value)).join(', ');

const plural = (count: number | bigint, noun: string) => `${count} ${noun}${Number(count) === 1 ? '' : 's'}`;

/** too_small / too_big as a predicate: "must contain at least 1 item", "must be at most 255 characters long". */
const boundPredicate = (issue: z.core.$ZodRawIssue<z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig>): string => {
  const small = issue.code === 'too_small';
  const bound = small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum;
  const inclusive = issue.inclusive !== false;
  const comparison = small ? (inclusive ? 'at least' : 'more than') : inclusive ? 'at most' : 'less than';
  switch (issue.origin) {
    case 'array':
    case 'set':
      return `must contain ${comparison} ${plural(bound, 'item')}`;
    case 'string':
      return small && bound === 1 ? 'must not be empty' : `must be ${comparison} ${plural(bound, 'character')} long`;
    default:
      return `must be ${comparison} ${bound}`;
  }
};

/**
 * The predicate ECS-style messages put after a field's name, for every kind of zod issue. Given to
 * safeParse as the per-parse error map, so it words every issue a schema does not word itself; no
 * zod wording ("Invalid input: expected ...", "Too small: ...") ever reaches a user.
 */
const predicateFor = (issue: z.core.$ZodRawIssue): string => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of: ${list(issue.values)}`;
    case 'too_small':
    case 'too_big':
      return boundPredicate(issue);
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'invalid_format':
      return 'is not in the expected format';
    case 'invalid_key':
      return 'has an invalid key';
    case 'unrecognized_keys':
      return `has unknown members ${list(issue.keys)}`;
    default:
      return 'is not valid';
  }
};

/**
 * A schema's own message is either a predicate on the field ("must be between 1 and 65535"), put
 * after the field's name, or a whole sentence (it starts with a capital), used as it is.
 */
const sentenceFor = (issue: z.core.$ZodIssue): string => {
  const where = fieldPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const names = issue.keys.map((key) => `'${where ? `${where}.` : ''}${key}'`).join(', ');
    return `Unknown parameter${issue.keys.length > 1 ? 's' : ''} ${names}.`;
  }
  const message = issue.message.endsWith('.') ? issue.message : `${issue.message}.`;
  if (/^[A-Z]/.test(message)) return message;
  return where ? `${where} ${message}` : `The request ${message}`;
};

/**
 * The error a refused input becomes: on ECS, ClientException, or InvalidParameterException where
 * ECS uses it; other AWS services have their own (Application Auto Scaling's ValidationException).
 */
export type Refusal = new (message: string) => DomainError;

/**
 * Parses input with one schema, which is both the runtime check and the TypeScript type. This is
 * the one place where zod issues become messages: any violation becomes `refusal` (ECS's error
 * name for the operation) with an ECS-style sentence naming the field; a ZodError never escapes.
 */
export const parseInput = <S extends z.ZodType>(schema: S, input: unknown, refusal: Refusal = ClientException): z.output<S> => {
  const result = schema.safeParse(input, { error: predicateFor });
  if (result.success) return result.data;
  const { issues } = result.error;
  // A misspelt field shows up both as an unknown key and as a missing one; the unknown key is
  // the one that tells the user what went wrong.
  const issue = issues.find((candidate) => candidate.code === 'unrecognized_keys') ?? issues[0];
  throw new refusal(sentenceFor(issue));
};

/**
 * ECS names: up to 255 letters (upper and lower case), numbers, underscores and hyphens. The
 * message is a predicate, so that it follows the member's name ("clusterName can have ...").
 */
export const resourceName = () =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,255}$/, 'can have up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens');

/**
 * A schema built on its first use instead of when its module loads: building zod schemas was a
 * third of every handler's load time (npm run bench:cold), and a handler needs only the schemas of
 * the requests it serves. The first call builds the schema, every later call answers the same one.
 */
export const lazySchema = <S extends z.ZodType>(build: () => S): (() => S) => {
  let built: S | undefined;
  return () => (built ??= build());
};

/** What a lazily built schema parses to. */
export type SchemaOutput<L extends () => z.ZodType> = z.output<ReturnType<L>>;

export const tagsSchema = lazySchema(() =>
  z.array(z.object({ key: z.string().min(1).max(128), value: z.string().max(256) }).strict()).max(50),
);

/** The tagging members CreateService and RunTask share: the resource's tags and how they propagate. */
export const taggingMembers = () => ({
  tags: tagsSchema().optional(),
  enableECSManagedTags: z.boolean().optional(),
  propagateTags: z.enum(['TASK_DEFINITION', 'SERVICE', 'NONE']).optional(),
});

export const pageQuerySchema = lazySchema(() =>
  z.object({
    maxResults: z.coerce.number().int().min(1).max(100).optional(),
    nextToken: z.string().min(1).max(4096).optional(),
  }),
);

/** ECS's Integer members are 32-bit: no number outside this range is ever stored. */
export const MAX_ECS_INTEGER = 2_147_483_647;

const MAX_MAP_ENTRIES = 100;

/**
 * A user's map of strings to strings (docker labels, log driver options, driver options...), with
 * ECS's limits on its size. It comes out as prototype-free data holding exactly the keys given,
 * "__proto__" and "constructor" included (z.record would drop "__proto__").
 */
export const stringMap = (limits: { keyLength: number; valueLength: number; entries?: number }) =>
  z
    .custom<Record<string, string>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
      error: 'must be an object of strings',
    })
    .check((context) => {
      const entries = Object.entries(context.value);
      const maxEntries = limits.entries ?? MAX_MAP_ENTRIES;
      if (entries.length > maxEntries) {
        context.issues.push({ code: 'custom', input: context.value, message: `must contain at most ${maxEntries} entries` });
        return;
      }
      for (const [key, value] of entries) {
        const problem =
          key.length < 1 || key.length > limits.keyLength
            ? `keys must be 1 to ${limits.keyLength} characters long`
            : typeof value !== 'string'
              ? `must map each key to a string (key ${JSON.stringify(key)})`
              : value.length > limits.valueLength
                ? `values must be at most ${limits.valueLength} characters long (key ${JSON.stringify(key)})`
                : undefined;
        if (problem !== undefined) {
          context.issues.push({ code: 'custom', input: value, message: problem });
          return;
        }
      }
    })
    .meta({ type: 'object', additionalProperties: { type: 'string' } })
    .transform((value) => {
      const copy: Record<string, string> = Object.create(null);
      for (const [key, entry] of Object.entries(value)) {
        // defineProperty, not assignment: assigning "__proto__" would not make a key.
        Object.defineProperty(copy, key, { value: entry, enumerable: true, writable: true, configurable: true });
      }
      return copy;
    });
