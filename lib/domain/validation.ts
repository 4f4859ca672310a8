import * as z from 'zod';
import { ClientException } from '../errors';

/** "containerDefinitions[0].image" from zod's path. */
export const fieldPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)),
    '',
  );

const issueMessage = (issue: z.core.$ZodIssue): string => {
  if (issue.code === 'unrecognized_keys') {
    const where = fieldPath(issue.path);
    return `Unknown parameter${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `'${where ? `${where}.` : ''}${key}'`).join(', ')}.`;
  }
  const where = fieldPath(issue.path);
  return where ? `Invalid '${where}': ${issue.message}.` : `Invalid request: ${issue.message}.`;
};

/**
 * Parses input with one schema, which is both the runtime check and the TypeScript type. Any
 * violation becomes a ClientException whose message names the field; a ZodError never escapes.
 */
export const parseInput = <S extends z.ZodType>(schema: S, input: unknown): z.output<S> => {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ClientException(issueMessage(result.error.issues[0]));
};

/** ECS names: up to 255 letters (upper and lower case), numbers, underscores and hyphens. */
export const resourceName = (what: string) =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9_-]{1,255}$/,
      `${what} can have up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens`,
    );

export const tagsSchema = z
  .array(z.object({ key: z.string().min(1).max(128), value: z.string().max(256) }).strict())
  .max(50);

export const pageQuerySchema = z.object({
  maxResults: z.coerce.number().int().min(1).max(100).optional(),
  nextToken: z.string().min(1).max(4096).optional(),
});
