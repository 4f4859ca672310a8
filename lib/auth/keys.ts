import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * Access keys as AWS shapes them: a 20-character id starting AKIA (upper-case base32 after the
 * prefix) and a 40-character secret. Secrets are never stored: each is derived from the stage's
 * master key and the key id (docs/sandbox.md), so a leaked table reveals no credential.
 */
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export const ACCESS_KEY_ID_PATTERN = /^AKIA[A-Z2-7]{16}$/;
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;

export const newAccessKeyId = (): string =>
  `AKIA${Array.from(randomBytes(16), (byte) => BASE32[byte % 32]).join('')}`;

/** A random 12-digit account id that never starts with 0 (000000000000 is open mode's account). */
export const newAccountId = (): string => `${randomInt(1, 10)}${String(randomInt(0, 100_000_000_000)).padStart(11, '0')}`;

/** The secret of a key id: HMAC-SHA256(master key, key id), in the base64 alphabet AWS secrets use. */
export const secretFor = (masterKey: string, accessKeyId: string): string =>
  createHmac('sha256', masterKey).update(`access-key:${accessKeyId}`).digest('base64').slice(0, 40);

/** Equality of two strings in time independent of where they differ (and of their content). */
export const constantTimeEqual = (given: string, expected: string): boolean => {
  // Comparing digests gives equal lengths, so that not even the length leaks through timing.
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected)) && given.length === expected.length;
};
