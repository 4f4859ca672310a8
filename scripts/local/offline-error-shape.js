'use strict';

/**
 * A serverless plugin for the local stack only. serverless-offline's HTTP server (hapi) answers a
 * few requests before any function runs: a path with malformed %-encoding (400), a body past its
 * payload limit (413), a request it cannot read. API Gateway answers those itself in AWS; locally
 * they must still come in ECS's error shape ({"__type", "message"}), not hapi's. serverless-offline
 * offers no hook into its server, so this adds an onPreResponse extension to every hapi server
 * started in this process; answers from functions (never hapi errors) pass untouched.
 * Plain JavaScript: serverless loads plugins with require, before any TypeScript tooling.
 */
const ERROR_NAMES = { 404: 'ResourceNotFoundException' };
/** hapi's messages are terse ("Bad Request"): say what was wrong where it can be known. */
const MESSAGES = { 400: 'The request could not be read: its path or headers are malformed (for example, a bad %-encoding).' };

const ecsErrorShape = (request, h) => {
  const response = request.response;
  if (!response || !response.isBoom) return h.continue;
  const statusCode = response.output.statusCode;
  if (statusCode >= 500) return h.continue;
  const type = ERROR_NAMES[statusCode] ?? 'ClientException';
  return h
    .response({ __type: type, message: MESSAGES[statusCode] ?? `${response.output.payload.message}.` })
    .code(statusCode)
    .type('application/json')
    .header('x-amzn-ErrorType', type);
};

class OfflineErrorShape {
  constructor() {
    this.hooks = {
      'before:offline:start': () => this.install(),
      'before:offline:start:init': () => this.install(),
    };
  }

  install() {
    const Core = require('@hapi/hapi/lib/core');
    if (Core.prototype.ecsErrorShapeInstalled) return;
    Core.prototype.ecsErrorShapeInstalled = true;
    const start = Core.prototype._start;
    Core.prototype._start = function startWithEcsErrors(...args) {
      this.root.ext('onPreResponse', ecsErrorShape);
      return start.apply(this, args);
    };
  }
}

module.exports = OfflineErrorShape;
