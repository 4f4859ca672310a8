import fc from 'fast-check';
import { evaluateClusterQuery, parseClusterQuery, wildcardMatch, type QueryTarget } from '../../lib/domain/cluster-query';
import { InvalidParameterException } from '../../lib/errors';

const target = (attributes: Record<string, string | undefined>, overrides: Partial<QueryTarget> = {}): QueryTarget => ({
  attributes: new Map(Object.entries(attributes)),
  ec2InstanceId: 'i-0123456789abcdef0',
  agentConnected: true,
  agentVersion: '1.89.2',
  registeredAt: Date.parse('2026-06-18T22:28:28Z'),
  runningTasksCount: 3,
  taskGroups: ['service:web'],
  ...overrides,
});

const small = target({ 'ecs.instance-type': 't3.small', 'ecs.availability-zone': 'us-east-1a', gpu: undefined });
const matches = (expression: string, on = small) => evaluateClusterQuery(parseClusterQuery(expression), on);

describe('the cluster query language', () => {
  it.each([
    ['attribute:ecs.instance-type == t3.small', true],
    ['attribute:ecs.instance-type equals t3.micro', false],
    ['attribute:ecs.instance-type != t3.micro', true],
    ['attribute:ecs.instance-type =~ t3.*', true],
    ['attribute:ecs.instance-type !~ t3.*', false],
    ['attribute:ecs.instance-type matches *.small', true],
    ['attribute:ecs.availability-zone in [us-east-1a, us-east-1b]', true],
    ['attribute:ecs.availability-zone !in [us-east-1a,us-east-1b]', false],
    ['attribute:ecs.availability-zone not_in [us-east-1c]', true],
    ['attribute:gpu exists', true],
    ['attribute:missing exists', false],
    ['attribute:missing !exists', true],
    ['attribute:missing == x', false],
    ['attribute:missing != x', true],
    ['not attribute:gpu exists or attribute:ecs.instance-type == t3.small', true],
    ['!(attribute:gpu exists) || runningTasksCount > 5', false],
    ['(runningTasksCount >= 3 && runningTasksCount <= 3) and agentConnected == true', true],
    ['agentVersion < 1.100.0 and agentVersion greater_than 1.9.9', true],
    ['registeredAt > 2026-06-18 and registeredAt < 2026-06-18T22:28:29Z', true],
    ['ec2InstanceId =~ i-0123*', true],
    ['task:group == service:web', true],
    ['task:group != service:web', false],
  ])('%s → %s', (expression, expected) => {
    expect(matches(expression)).toBe(expected);
  });

  it.each([
    ['', 'it is empty'],
    ['attribute:ecs.instance-type === t3.micro', "unknown operator '==='"],
    ['attribute:ecs.instance-type', "unknown operator the end of the expression"],
    ['instanceType == t3.micro', "unknown subject 'instanceType'"],
    ['attribute: == x', "unknown subject 'attribute:'"],
    ['attribute:a in [x, y', "expected ']'"],
    ['attribute:a in x', "expected '['"],
    ['(attribute:a exists', "expected ')'"],
    ['attribute:a exists attribute:b exists', "unexpected 'attribute:b'"],
    ['ec2InstanceId > i-1', "operator '>' does not apply to ec2InstanceId"],
    ['runningTasksCount exists', "operator 'exists' does not apply to runningTasksCount"],
    ['('.repeat(40) + 'attribute:a exists' + ')'.repeat(40), 'nests deeper than 32 levels'],
    ['attribute:a == ' + 'x'.repeat(2000), 'at most 2000 characters'],
  ])('refuses #%# with the reason', (expression, detail) => {
    expect(() => parseClusterQuery(expression)).toThrow(InvalidParameterException);
    expect(() => parseClusterQuery(expression)).toThrow(detail);
  });

  it('answers any text with an expression or InvalidParameterException, quickly', () => {
    const pieces = fc.constantFrom('attribute:a', 'attribute:b', '==', '!=', '=~', 'in', '!in', 'exists', '[', ']', ',', '(', ')', 'and', 'or', 'not', '!', 'x', '*', 'runningTasksCount', '>', '1');
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.array(pieces, { maxLength: 60 }).map((parts) => parts.join(' '))), (text) => {
        try {
          const expression = parseClusterQuery(text);
          expect(typeof evaluateClusterQuery(expression, small)).toBe('boolean');
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidParameterException);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('matches wildcards as a regular expression of the pattern would, without backtracking blow-ups', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', '.'), maxLength: 12 });
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'b', '.', '*'), maxLength: 8 }), text, (pattern, subject) => {
        const expected = new RegExp(`^${pattern.replace(/\./g, '\\.').replace(/\*/g, '.*')}$`).test(subject);
        expect(wildcardMatch(pattern, subject)).toBe(expected);
      }),
    );
    const started = process.hrtime.bigint();
    expect(wildcardMatch('*a'.repeat(60) + 'b', 'a'.repeat(128))).toBe(false);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(500);
  });
});
