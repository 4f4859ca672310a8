/**
 * Preloaded (node --require) into the local stack's serverless-offline process. serverless-offline
 * runs an asynchronous ("Event") invocation without awaiting it, so a handler that fails or times out
 * there rejects a promise nobody handles, and Node ends the whole process: every route goes down with
 * one failed reconciler pass. A deployed Lambda's failure ends only that invocation; so here the
 * failure is logged and the process stays up.
 */
process.on('unhandledRejection', (reason) => {
  console.error('[ecsbox] an asynchronous invocation failed; the local stack keeps running:', reason);
});
