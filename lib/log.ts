/**
 * Structured logs: one JSON object per line (what CloudWatch Logs Insights queries), a fixed
 * message and the context as keys. Our own few lines rather than Powertools' Logger: every
 * handler uses three of its methods, and loading it cost each cold start about 7 ms
 * (npm run bench:cold).
 */
const LEVELS = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3 } as const;
type Level = keyof typeof LEVELS;

export interface StructuredLogger {
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

/** Errors are written with their name, message and stack (JSON.stringify would write `{}`). */
const withErrors = (_key: string, value: unknown) =>
  value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;

/** `threshold` is LOG_LEVEL's value (DEBUG, INFO, WARN or ERROR; INFO when unset or unknown). */
export const createLogger = (
  service: string,
  threshold: string | undefined,
  write: (line: string) => void = (line) => process.stdout.write(line),
): StructuredLogger => {
  const minimum = LEVELS[(threshold?.toUpperCase() ?? 'INFO') as Level] ?? LEVELS.INFO;
  const entry = (level: Level) => (message: string, context: Record<string, unknown> = {}) => {
    if (LEVELS[level] < minimum) return;
    write(`${JSON.stringify({ level, message, timestamp: new Date().toISOString(), service, ...context }, withErrors)}\n`);
  };
  return { info: entry('INFO'), warn: entry('WARN'), error: entry('ERROR') };
};

export const log = createLogger('ecsbox', process.env.LOG_LEVEL);
