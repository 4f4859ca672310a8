import { createLogger } from '../../lib/log';

const linesOf = (threshold: string | undefined, use: (log: ReturnType<typeof createLogger>) => void) => {
  const lines: string[] = [];
  use(createLogger('ecsbox', threshold, (line) => lines.push(line)));
  return lines.map((line) => {
    expect(line.endsWith('\n')).toBe(true);
    return JSON.parse(line) as Record<string, unknown>;
  });
};

describe('the structured logger', () => {
  it('writes one JSON object per line: level, fixed message, time, service, then the context as keys', () => {
    const [entry] = linesOf(undefined, (log) => log.info('reconciler finished', { end: 'idle', shard: 2 }));
    expect(entry).toEqual({ level: 'INFO', message: 'reconciler finished', timestamp: expect.any(String), service: 'ecsbox', end: 'idle', shard: 2 });
    expect(new Date(entry.timestamp as string).toISOString()).toBe(entry.timestamp);
  });

  it('writes an error with its name, message and stack', () => {
    const [entry] = linesOf('INFO', (log) => log.error('unhandled error', { error: new TypeError('boom') }));
    expect(entry.error).toEqual({ name: 'TypeError', message: 'boom', stack: expect.stringContaining('boom') });
  });

  it('leaves out entries below LOG_LEVEL (INFO when unset or unknown)', () => {
    const all = (log: ReturnType<typeof createLogger>) => {
      log.info('a');
      log.warn('b');
      log.error('c');
    };
    expect(linesOf('ERROR', all).map((entry) => entry.level)).toEqual(['ERROR']);
    expect(linesOf('warn', all).map((entry) => entry.level)).toEqual(['WARN', 'ERROR']);
    expect(linesOf('verbose', all).map((entry) => entry.level)).toEqual(['INFO', 'WARN', 'ERROR']);
  });
});
