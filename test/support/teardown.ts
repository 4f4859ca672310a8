/**
 * Global setup and teardown run in the same process, so the setup leaves its stop functions here.
 */
const cleanups: Array<() => Promise<void>> = ((globalThis as Record<string, unknown>).__ecsboxCleanups ??= []) as Array<
  () => Promise<void>
>;

export const registerCleanup = (cleanup: () => Promise<void>) => cleanups.push(cleanup);

export default async function teardown(): Promise<void> {
  while (cleanups.length) await cleanups.pop()!();
}
