import type * as z from 'zod';
import { lazySchema, parseInput, type Refusal } from '../domain/validation';
import type { Deps } from '../deps';
import type { DomainError } from '../errors';

/**
 * One AWS API operation on the wire: the schema of its input (the service's member names) and the
 * use case that answers it, with its result shaped as the service's output structure. Timestamps
 * stay epoch milliseconds here; the protocol's `present` and the wire format render them.
 */
export interface WireOperation<Input = unknown> {
  /** The schema of the input, as parse applies it (for the input-message tests and documents). */
  input: () => z.ZodType;
  parse(body: unknown): Input;
  run(deps: Deps, input: Input): Promise<object>;
}

/**
 * `refusal` is the error the service answers bad input with (ECS: ClientException, or
 * InvalidParameterException for services, tasks and tags). The input's schema is built on the
 * operation's first request (lazySchema), so a handler builds only what its requests use.
 */
export const operation = <S extends z.ZodType>(
  buildInput: () => S,
  run: (deps: Deps, input: z.output<S>) => Promise<object>,
  refusal?: Refusal,
): WireOperation<z.output<S>> => {
  const input = lazySchema(buildInput);
  return { input, parse: (body) => parseInput(input(), body, refusal), run };
};

/** The query protocol's settings, for the services that still speak it (CloudWatch, for the CLI). */
export interface QueryProtocol {
  /** The API version a query request names (`Version=`). */
  version: string;
  /** The namespace of its XML answers. */
  xmlNamespace: string;
  /** Query requests carry strings only: the input as the JSON protocol would carry it. */
  decode(form: URLSearchParams): Record<string, unknown>;
}

/**
 * One AWS service served at POST /: its operations, by the name after `targetPrefix` in
 * X-Amz-Target (or the query protocol's `Action=`), and how its answers are worded.
 */
export interface ProtocolTable {
  targetPrefix: string;
  /** The AWS JSON version of its answers (application/x-amz-json-<version>). */
  jsonVersion: '1.0' | '1.1';
  operations: Record<string, WireOperation<any>>;
  /** Renders the output's timestamps (epoch milliseconds inside ecsbox) as its protocol carries them. */
  present(output: object, format: 'json' | 'query'): unknown;
  /** The service's name for a domain error; its class name when absent. */
  errorName?: (error: DomainError) => string;
  /**
   * Set for services that also speak (or once spoke) the query protocol (CloudWatch): each error's
   * query code where it differs from its name. AWS JSON answers name it in x-amzn-query-error,
   * which the SDKs read; the query protocol's XML errors carry it as their Code.
   */
  queryCodes?: Record<string, string>;
  query?: QueryProtocol;
}

/** The operation the table serves under `name`; own properties only, so "toString" is none. */
export const operationOf = (table: ProtocolTable, name: string): WireOperation | undefined =>
  Object.hasOwn(table.operations, name) ? table.operations[name] : undefined;
