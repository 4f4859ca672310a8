import { randomUUID } from 'node:crypto';
import { DynamoClusterRepository } from './adapters/dynamodb/cluster-repository';
import { DynamoReconcileStore } from './adapters/dynamodb/reconcile-store';
import { DynamoServiceRepository } from './adapters/dynamodb/service-repository';
import { createTableContext, type TableContext } from './adapters/dynamodb/table';
import { DynamoTaskDefinitionRepository } from './adapters/dynamodb/task-definition-repository';
import { DynamoTaskRepository } from './adapters/dynamodb/task-repository';
import { LambdaReconcileTrigger } from './adapters/lambda/reconcile-trigger';
import { config, type Config } from './config';
import { systemClock, type Clock, type Deps } from './deps';
import type { FleetBackend } from './fleet/backend';
import { ClusterFleets } from './fleet/resolver';
import { SimulatedFleet } from './fleet/simulated';
import { log } from './log';
import type { ReconcileTrigger } from './ports';
import { Reconciler } from './reconciler/reconciler';
import { reconcilerSettings } from './reconciler/settings';
import { applyTaskStateChange } from './reconciler/task-events';

/** The composition root: SDK clients and adapters are built once per cold start and injected. */
export interface Overrides {
  clock?: Clock;
  trigger?: ReconcileTrigger;
  /** The simulated fleet to use (tests give one with their own clock). */
  fleet?: FleetBackend;
  /** The table's client (tests give one that meters what each read costs). */
  table?: TableContext;
  /** Items per page of the reconcile index (tests and benchmarks make pages small); DynamoDB's 1 MB page otherwise. */
  reconcilePageSize?: number;
}

const tableFor = (settings: Config): TableContext =>
  createTableContext({
    tableName: settings.tableName,
    region: settings.region,
    endpoint: settings.dynamoDbEndpoint,
    deadlineMs: settings.dynamoDbDeadlineMs,
    pageTokenSecret: settings.pageTokenSecret,
  });

const fleetsFor = (settings: Config, overrides: Overrides) =>
  new ClusterFleets(overrides.fleet ?? new SimulatedFleet({ profile: settings.fleetProfile }), settings.fleetDefaults, settings.region);

const triggerFor = (settings: Config): ReconcileTrigger =>
  settings.reconcilerFunctionName
    ? new LambdaReconcileTrigger(settings.reconcilerFunctionName, { region: settings.region, endpoint: settings.lambdaEndpoint })
    : { wake: async () => undefined };

export const buildDeps = (settings: Config, overrides: Overrides = {}): Deps => {
  const table = overrides.table ?? tableFor(settings);
  const clock = overrides.clock ?? systemClock;
  const scope = { region: settings.region, accountId: settings.accountId };
  return {
    clock,
    scope,
    clusters: new DynamoClusterRepository(table, scope, settings.reconcileShards, settings.limits.clustersPerAccount),
    taskDefinitions: new DynamoTaskDefinitionRepository(table, scope, settings.limits.revisionsPerFamily),
    services: new DynamoServiceRepository(table, scope, settings.reconcileShards, settings.limits.servicesPerCluster),
    tasks: new DynamoTaskRepository(table, scope, settings.reconcileShards, settings.taskRetentionMs, clock),
    fleets: fleetsFor(settings, overrides),
    trigger: overrides.trigger ?? triggerFor(settings),
    reconcileShards: settings.reconcileShards,
  };
};

/**
 * The reconciler's clients and backends, built once per cold start; `newReconciler` gives each
 * invocation its own lease holder, so that overlapping invocations in one process (serverless-offline
 * runs handlers in-process) never share a lease.
 */
export const buildReconciler = (settings: Config, overrides: Overrides = {}) => {
  const store = new DynamoReconcileStore(overrides.table ?? tableFor(settings), settings.reconcileShards, settings.taskRetentionMs, overrides.reconcilePageSize);
  const fleets = fleetsFor(settings, overrides);
  /** A reconciler of one shard (a fanned-out or targeted invocation), or of every shard. */
  const newReconciler = (shard?: number) =>
    new Reconciler(
      store,
      fleets,
      overrides.clock ?? systemClock,
      randomUUID(),
      reconcilerSettings(settings.fleetProfile, settings.reconcileShards),
      log,
      shard,
    );
  const trigger = overrides.trigger ?? triggerFor(settings);
  /** Applies an "ECS Task State Change" event to its task's record (lib/reconciler/task-events.ts). */
  const applyTaskEvent = (event: unknown) =>
    applyTaskStateChange(
      {
        store,
        fleets,
        trigger,
        clock: overrides.clock ?? systemClock,
        shards: settings.reconcileShards,
        leaseTtlMs: reconcilerSettings(settings.fleetProfile, settings.reconcileShards).leaseTtlMs,
        holder: randomUUID(),
      },
      event,
    );
  return { store, reconciler: newReconciler(), newReconciler, trigger, applyTaskEvent };
};

let built: Deps | undefined;

export const deps = (): Deps => (built ??= buildDeps(config()));
