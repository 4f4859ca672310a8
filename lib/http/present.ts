/**
 * Inside ecsbox every timestamp is epoch milliseconds in a field named "...At". Each API face
 * renders them its own way: ISO 8601 on REST (what a browser wants), epoch seconds on the ECS
 * wire protocol (what the AWS SDKs parse).
 */
const renderTimestamps = (value: unknown, render: (epochMs: number) => unknown): unknown => {
  if (Array.isArray(value)) return value.map((entry) => renderTimestamps(entry, render));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, entry]) => [
      key,
      key.endsWith('At') && typeof entry === 'number' ? render(entry) : renderTimestamps(entry, render),
    ]),
  );
};

export const presentRest = (value: unknown) => renderTimestamps(value, (ms) => new Date(ms).toISOString());

export const presentEcs = (value: unknown) => renderTimestamps(value, (ms) => ms / 1000);
