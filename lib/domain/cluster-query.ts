import { InvalidParameterException } from '../errors';
import type { EpochMs } from './model';

/**
 * ECS's cluster query language, as ListContainerInstances' `filter` and the `memberOf` placement
 * constraint use it: `subject operator [argument]` joined by and/&&, or/||, not/!, with parentheses.
 * Subjects: agentConnected, agentVersion, attribute:NAME, ec2InstanceId, registeredAt,
 * runningTasksCount, task:group. Operators: ==/equals, !=/not_equals, exists, !exists/not_exists,
 * in, !in/not_in (with a list `[a, b]`), =~/matches, !~/not_matches (`*` is the only wildcard),
 * >/greater_than, >=/greater_than_equal, </less_than, <=/less_than_equal.
 *
 * Hostile input: an expression is at most ECS's 2,000 characters and nests at most MAX_DEPTH deep;
 * matching is a linear wildcard match, never a regular expression built from user text.
 */

export const MAX_EXPRESSION_LENGTH = 2000;
const MAX_DEPTH = 32;

/** What an expression is evaluated against: one container instance as the query sees it. */
export interface QueryTarget {
  /** Attribute names to values; an attribute without a value maps to undefined. */
  attributes: ReadonlyMap<string, string | undefined>;
  ec2InstanceId: string;
  agentConnected: boolean;
  agentVersion: string;
  registeredAt: EpochMs;
  runningTasksCount: number;
  /** The groups of the tasks on the instance (task:group). */
  taskGroups: readonly string[];
}

type Comparison = 'eq' | 'ne' | 'exists' | 'not_exists' | 'in' | 'not_in' | 'matches' | 'not_matches' | 'gt' | 'ge' | 'lt' | 'le';

export type QueryExpression =
  | { kind: 'and' | 'or'; left: QueryExpression; right: QueryExpression }
  | { kind: 'not'; operand: QueryExpression }
  | { kind: 'test'; subject: string; comparison: Comparison; values: string[] };

const OPERATORS: Record<string, Comparison> = {
  '==': 'eq',
  equals: 'eq',
  '!=': 'ne',
  not_equals: 'ne',
  exists: 'exists',
  '!exists': 'not_exists',
  not_exists: 'not_exists',
  in: 'in',
  '!in': 'not_in',
  not_in: 'not_in',
  '=~': 'matches',
  matches: 'matches',
  '!~': 'not_matches',
  not_matches: 'not_matches',
  '>': 'gt',
  greater_than: 'gt',
  '>=': 'ge',
  greater_than_equal: 'ge',
  '<': 'lt',
  less_than: 'lt',
  '<=': 'le',
  less_than_equal: 'le',
};

const LISTED: ReadonlySet<Comparison> = new Set(['in', 'not_in']);

/** Which comparisons each subject takes, as ECS documents them (attributes take every one). */
const SUBJECTS: Record<string, ReadonlySet<Comparison>> = {
  agentConnected: new Set(['eq', 'ne', 'in', 'not_in', 'matches', 'not_matches']),
  ec2InstanceId: new Set(['eq', 'ne', 'in', 'not_in', 'matches', 'not_matches']),
  'task:group': new Set(['eq', 'ne', 'in', 'not_in', 'matches', 'not_matches']),
  agentVersion: new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']),
  registeredAt: new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']),
  runningTasksCount: new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']),
};

const ATTRIBUTE_PREFIX = 'attribute:';

const invalid = (detail: string) => new InvalidParameterException(`Invalid cluster query expression: ${detail}.`);

const PUNCTUATION = new Set(['(', ')', '[', ']', ',']);
const OPERATOR_CHARACTERS = /[=!~<>&|]/;

/** Splits an expression into words, symbols and punctuation. */
const tokenize = (text: string): string[] => {
  const tokens: string[] = [];
  let at = 0;
  while (at < text.length) {
    const char = text[at];
    if (/\s/.test(char)) {
      at += 1;
      continue;
    }
    if (PUNCTUATION.has(char)) {
      tokens.push(char);
      at += 1;
      continue;
    }
    // '!exists' and '!in' are operators; any other '!' negates what follows.
    const negatedOperator = /^!(?:exists|in)(?![A-Za-z0-9_.:-])/.exec(text.slice(at, at + 8));
    if (negatedOperator) {
      tokens.push(negatedOperator[0]);
      at += negatedOperator[0].length;
      continue;
    }
    // A run of operator characters is one token, so '===' is an unknown operator, not '==' and '='.
    if (OPERATOR_CHARACTERS.test(char)) {
      let end = at + 1;
      while (end < text.length && OPERATOR_CHARACTERS.test(text[end])) end += 1;
      tokens.push(text.slice(at, end));
      at = end;
      continue;
    }
    let end = at + 1;
    while (end < text.length && !/\s/.test(text[end]) && !PUNCTUATION.has(text[end]) && !OPERATOR_CHARACTERS.test(text[end])) end += 1;
    tokens.push(text.slice(at, end));
    at = end;
  }
  return tokens;
};

const quoted = (token: string | undefined) => (token === undefined ? 'the end of the expression' : `'${token.slice(0, 40)}'`);

/** Parses an expression, or throws InvalidParameterException saying what is wrong and where. */
export const parseClusterQuery = (text: string): QueryExpression => {
  if (text.length > MAX_EXPRESSION_LENGTH) throw invalid(`it must be at most ${MAX_EXPRESSION_LENGTH} characters long`);
  const tokens = tokenize(text);
  let position = 0;
  const peek = () => tokens[position];
  const next = () => tokens[position++];
  const expect = (token: string) => {
    if (peek() !== token) throw invalid(`expected '${token}' but found ${quoted(peek())}`);
    position += 1;
  };

  const value = (): string => {
    const token = next();
    if (token === undefined || PUNCTUATION.has(token) || OPERATOR_CHARACTERS.test(token[0])) throw invalid(`expected a value but found ${quoted(token)}`);
    return token;
  };

  const test = (): QueryExpression => {
    const subject = next();
    const isAttribute = subject !== undefined && subject.startsWith(ATTRIBUTE_PREFIX) && subject.length > ATTRIBUTE_PREFIX.length;
    if (subject === undefined || (!isAttribute && !Object.hasOwn(SUBJECTS, subject))) throw invalid(`unknown subject ${quoted(subject)}`);
    const allowed = isAttribute ? undefined : SUBJECTS[subject];
    const operator = next();
    const comparison = operator === undefined || !Object.hasOwn(OPERATORS, operator) ? undefined : OPERATORS[operator];
    if (comparison === undefined) throw invalid(`unknown operator ${quoted(operator)} after '${subject.slice(0, 40)}'`);
    if (allowed && !allowed.has(comparison)) throw invalid(`operator '${operator}' does not apply to ${subject}`);
    if (comparison === 'exists' || comparison === 'not_exists') {
      return { kind: 'test', subject, comparison, values: [] };
    }
    if (!LISTED.has(comparison)) return { kind: 'test', subject, comparison, values: [value()] };
    expect('[');
    const values = [value()];
    while (peek() === ',') {
      position += 1;
      values.push(value());
    }
    expect(']');
    return { kind: 'test', subject, comparison, values };
  };

  const unary = (depth: number): QueryExpression => {
    if (depth > MAX_DEPTH) throw invalid(`it nests deeper than ${MAX_DEPTH} levels`);
    const token = peek();
    if (token === 'not' || token === '!') {
      position += 1;
      return { kind: 'not', operand: unary(depth + 1) };
    }
    if (token === '(') {
      position += 1;
      const inner = disjunction(depth + 1);
      expect(')');
      return inner;
    }
    return test();
  };

  const conjunction = (depth: number): QueryExpression => {
    let left = unary(depth);
    while (peek() === 'and' || peek() === '&&') {
      position += 1;
      left = { kind: 'and', left, right: unary(depth) };
    }
    return left;
  };

  function disjunction(depth: number): QueryExpression {
    let left = conjunction(depth);
    while (peek() === 'or' || peek() === '||') {
      position += 1;
      left = { kind: 'or', left, right: conjunction(depth) };
    }
    return left;
  }

  if (tokens.length === 0) throw invalid('it is empty');
  const expression = disjunction(0);
  if (position < tokens.length) throw invalid(`unexpected ${quoted(peek())}`);
  return expression;
};

/**
 * Whether `text` matches `pattern`, where `*` stands for any run of characters: the greedy
 * two-pointer match, linear in practice and never worse than length × length.
 */
export const wildcardMatch = (pattern: string, text: string): boolean => {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === text[t]) {
      p += 1;
      t += 1;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p;
      resume = t;
      p += 1;
    } else if (star >= 0) {
      p = star + 1;
      resume += 1;
      t = resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p += 1;
  return p === pattern.length;
};

/** Agent versions compare part by part as numbers ("1.10.0" > "1.9.3"). */
const compareVersions = (a: string, b: string): number => {
  const left = a.replace(/^v/, '').split('.');
  const right = b.replace(/^v/, '').split('.');
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const difference = Number(left[index] ?? 0) - Number(right[index] ?? 0);
    if (Number.isNaN(difference)) return (left[index] ?? '').localeCompare(right[index] ?? '');
    if (difference !== 0) return difference;
  }
  return 0;
};

/** How a subject's value and an argument compare: NaN when they cannot be compared. */
const comparatorFor = (subject: string): ((actual: string, argument: string) => number) => {
  if (subject === 'agentVersion') return compareVersions;
  if (subject === 'registeredAt') return (actual, argument) => Number(actual) - Date.parse(argument);
  return (actual, argument) => Number(actual) - Number(argument);
};

/** The values a subject has on the target (task:group has one per task; a missing attribute none). */
const valuesOf = (subject: string, target: QueryTarget): string[] | undefined => {
  if (subject.startsWith(ATTRIBUTE_PREFIX)) {
    const name = subject.slice(ATTRIBUTE_PREFIX.length);
    return target.attributes.has(name) ? [target.attributes.get(name) ?? ''] : undefined;
  }
  switch (subject) {
    case 'agentConnected':
      return [String(target.agentConnected)];
    case 'agentVersion':
      return [target.agentVersion];
    case 'ec2InstanceId':
      return [target.ec2InstanceId];
    case 'registeredAt':
      return [String(target.registeredAt)];
    case 'runningTasksCount':
      return [String(target.runningTasksCount)];
    default:
      return [...target.taskGroups];
  }
};

const holds = (comparison: Comparison, subject: string, actual: string, values: string[]): boolean => {
  switch (comparison) {
    case 'eq':
    case 'in':
      return values.includes(actual);
    case 'matches':
      return wildcardMatch(values[0], actual);
    default: {
      const order = comparatorFor(subject)(actual, values[0]);
      if (Number.isNaN(order)) return false;
      return comparison === 'gt' ? order > 0 : comparison === 'ge' ? order >= 0 : comparison === 'lt' ? order < 0 : order <= 0;
    }
  }
};

const NEGATIONS: Partial<Record<Comparison, Comparison>> = { ne: 'eq', not_in: 'in', not_matches: 'matches', not_exists: 'exists' };

export const evaluateClusterQuery = (expression: QueryExpression, target: QueryTarget): boolean => {
  switch (expression.kind) {
    case 'and':
      return evaluateClusterQuery(expression.left, target) && evaluateClusterQuery(expression.right, target);
    case 'or':
      return evaluateClusterQuery(expression.left, target) || evaluateClusterQuery(expression.right, target);
    case 'not':
      return !evaluateClusterQuery(expression.operand, target);
    default: {
      const negated = NEGATIONS[expression.comparison];
      if (negated) return !evaluateClusterQuery({ ...expression, comparison: negated }, target);
      const actual = valuesOf(expression.subject, target);
      if (expression.comparison === 'exists') return actual !== undefined;
      return (actual ?? []).some((value) => holds(expression.comparison, expression.subject, value, expression.values));
    }
  }
};
