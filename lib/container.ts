import { randomUUID } from 'node:crypto';
import { DynamoCapacityProviderRepository } from './adapters/dynamodb/capacity-provider-repository';
import { DynamoClusterRepository } from './adapters/dynamodb/cluster-repository';
import { DynamoContainerInstanceRepository } from './adapters/dynamodb/container-instance-repository';
import { DynamoReconcileStore } from './adapters/dynamodb/reconcile-store';
import { DynamoMetricsRepository } from './adapters/dynamodb/metrics-repository';
import { ControllerLease } from './adapters/dynamodb/controller-lease';
import { CAPACITY_INDEX_PARTITION } from './adapters/dynamodb/capacity-provider-repository';
import { DynamoScalingRepository } from './adapters/dynamodb/scaling-repository';
import { DynamoServiceRepository } from './adapters/dynamodb/service-repository';
import { createTableContext, type TableContext } from './adapters/dynamodb/table';
import { DynamoTaskDefinitionRepository, LatestRevisions } from './adapters/dynamodb/task-definition-repository';
import { DynamoTaskRepository } from './adapters/dynamodb/task-repository';
import { TaskReservations } from './adapters/dynamodb/task-reservations';
import { TenantQuotas } from './adapters/dynamodb/tenant-quotas';
import { DynamoUsageStore } from './adapters/dynamodb/usage-store';
import { LambdaReconcileTrigger } from './adapters/lambda/reconcile-trigger';
import { config, type Config } from './config';
import { systemClock, type Clock, type Deps } from './deps';
import { timeScaleOf } from './domain/load';
import type { FleetBackend } from './fleet/backend';
import { ClusterFleets } from './fleet/resolver';
import { SimulatedFleet } from './fleet/simulated';
import { log } from './log';
import { countingStoppedTasks } from './metering/stopped-tasks';
import { UsageLedger } from './metering/usage-ledger';
import type { ReconcileTrigger } from './ports';
import type { ScheduledController } from './controllers/scheduled';
import { Reconciler } from './reconciler/reconciler';
import { Authenticator } from './auth/authenticator';
import { secretsSource, type AuthSecrets } from './auth/secrets';
import { TenantStore } from './auth/tenant-store';
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
  /** Wakes the scaling controller (tests give none). */
  scalingTrigger?: ReconcileTrigger;
  /** Wakes the capacity controller (tests give none). */
  capacityTrigger?: ReconcileTrigger;
  /** Items per page of the reconcile index (tests and benchmarks make pages small); DynamoDB's 1 MB page otherwise. */
  reconcilePageSize?: number;
}

const meterSettings = (settings: Config) => ({
  enabled: settings.meter,
  lambdaMemoryMb: settings.lambdaMemoryMb,
  prices: settings.prices,
  // Only hosted mode deletes accounts (the tenant sweeper): there no usage may arrive after its answer.
  recordBeforeAnswer: settings.auth.mode === 'sigv4',
});

const tableFor = (settings: Config): TableContext =>
  createTableContext({
    tableName: settings.tableName,
    region: settings.region,
    endpoint: settings.dynamoDbEndpoint,
    deadlineMs: settings.dynamoDbDeadlineMs,
    pageTokenSecret: settings.pageTokenSecret,
  });

/** Hosted mode runs every tenant on the simulated fleet: no tenant's containers are billed to the deployer. */
const fleetsFor = (settings: Config, overrides: Overrides) =>
  new ClusterFleets(overrides.fleet ?? new SimulatedFleet({ profile: settings.fleetProfile }), settings.fleetDefaults, settings.region, {
    simulatedOnly: settings.auth.mode === 'sigv4',
    // Deployed (no serverless-offline), the stage's Fargate cluster's task events reach the reconciler (serverless.yml).
    ...(settings.lambdaEndpoint ? {} : { taskEventsCluster: settings.fleetDefaults.fargate?.cluster }),
  });

const triggerOf = (settings: Config, functionName: string | undefined): ReconcileTrigger =>
  functionName ? new LambdaReconcileTrigger(functionName, { region: settings.region, endpoint: settings.lambdaEndpoint }) : { wake: async () => undefined };

/** The wake-ups of the reconciler and of the scaling and capacity controllers, unless overridden. */
const triggersFor = (settings: Config, overrides: Overrides) => ({
  trigger: overrides.trigger ?? triggerOf(settings, settings.reconcilerFunctionName),
  scalingTrigger: overrides.scalingTrigger ?? triggerOf(settings, settings.scalingFunctionName),
  capacityTrigger: overrides.capacityTrigger ?? triggerOf(settings, settings.capacityFunctionName),
});

/**
 * Deps per account: the clients, fleets and trigger are built once; the repositories, which are
 * cheap, are built per request for the account the caller authenticated as (lib/auth).
 */
export const buildDepsFactory = (settings: Config, overrides: Overrides = {}): ((accountId: string) => Deps) => {
  const table = overrides.table ?? tableFor(settings);
  const clock = overrides.clock ?? systemClock;
  const fleets = fleetsFor(settings, overrides);
  const { trigger, scalingTrigger, capacityTrigger } = triggersFor(settings, overrides);
  const timeScale = timeScaleOf(settings.fleetProfile);
  // Shared by every account's requests: its cache of tenants' quotas lives as long as the container.
  const quotas = new TenantQuotas(table, settings.quotas, settings.tenantQuotas, clock);
  const reservations = new TaskReservations(table, quotas);
  const usage = new DynamoUsageStore(table);
  const usageLedger = new UsageLedger(usage);
  const latestRevisions = new LatestRevisions();
  const metering = meterSettings(settings);
  return (accountId) => {
    const scope = { region: settings.region, accountId };
    return {
      clock,
      scope,
      clusters: new DynamoClusterRepository(table, scope, settings.reconcileShards, quotas),
      taskDefinitions: new DynamoTaskDefinitionRepository(table, scope, quotas, latestRevisions),
      services: new DynamoServiceRepository(table, scope, settings.reconcileShards, quotas, reservations, clock),
      tasks: new DynamoTaskRepository(table, scope, settings.reconcileShards, settings.taskRetentionMs, clock, reservations),
      containerInstances: new DynamoContainerInstanceRepository(table, scope, settings.taskRetentionMs, clock),
      capacityProviders: new DynamoCapacityProviderRepository(table, scope, settings.reconcileShards),
      capacityTrigger,
      scaling: new DynamoScalingRepository(table, scope),
      metrics: new DynamoMetricsRepository(table, scope),
      timeScale,
      scalingTrigger,
      fleets,
      trigger,
      reconcileShards: settings.reconcileShards,
      quotas,
      usage,
      usageLedger,
      metering,
    };
  };
};

/** The Deps of the configured account (open mode's, and the tests'). */
export const buildDeps = (settings: Config, overrides: Overrides = {}): Deps => buildDepsFactory(settings, overrides)(settings.accountId);

/**
 * The reconciler's clients and backends, built once per cold start; `newReconciler` gives each
 * invocation its own lease holder, so that overlapping invocations in one process (serverless-offline
 * runs handlers in-process) never share a lease.
 */
export const buildReconciler = (settings: Config, overrides: Overrides = {}) => {
  const table = overrides.table ?? tableFor(settings);
  const clock = overrides.clock ?? systemClock;
  const committed = new DynamoReconcileStore(table, settings.reconcileShards, settings.taskRetentionMs, overrides.reconcilePageSize);
  // The cost meter counts each task the reconciler records STOPPED (lib/metering/stopped-tasks.ts).
  const store = settings.meter ? countingStoppedTasks(committed, new DynamoUsageStore(table), meterSettings(settings), clock) : committed;
  const fleets = fleetsFor(settings, overrides);
  const { trigger, scalingTrigger, capacityTrigger } = triggersFor(settings, overrides);
  /** A reconciler of one shard (a fanned-out or targeted invocation), or of every shard. */
  const newReconciler = (shard?: number) =>
    new Reconciler(
      store,
      fleets,
      clock,
      randomUUID(),
      reconcilerSettings(settings.fleetProfile, settings.reconcileShards),
      log,
      shard,
      capacityTrigger,
    );
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
  // The controllers the scheduled minute wakes when they have work (lib/controllers/scheduled.ts).
  const scheduled = (name: ScheduledController['name'], controllerTrigger: ReconcileTrigger): ScheduledController => {
    const lease = controllerLease(table, name);
    return { name, trigger: controllerTrigger, hasAccounts: () => lease.hasAccounts() };
  };
  const controllers = [scheduled('scaling', scalingTrigger), scheduled('capacity', capacityTrigger)];
  return { store, reconciler: newReconciler(), newReconciler, trigger, applyTaskEvent, controllers };
};

/** Where each controller finds the accounts it acts on (their items in the reconcile index). */
const CONTROLLER_ACCOUNTS = { scaling: 'SCALING', capacity: CAPACITY_INDEX_PARTITION } as const;

/** A controller's lease, which also tells which accounts it acts on. */
const controllerLease = (table: TableContext, name: keyof typeof CONTROLLER_ACCOUNTS) => new ControllerLease(table, name, CONTROLLER_ACCOUNTS[name]);

/**
 * A controller's dependencies (lib/controllers/scaling, lib/controllers/capacity), built once per
 * cold start: its lease, and each account's Deps (on one table client), since a pass acts on every
 * account's targets or providers.
 */
export const buildController = (settings: Config, name: keyof typeof CONTROLLER_ACCOUNTS, overrides: Overrides = {}) => {
  const table = overrides.table ?? tableFor(settings);
  return { lease: controllerLease(table, name), depsFor: buildDepsFactory(settings, { ...overrides, table }) };
};

let depsOfAccount: ((accountId: string) => Deps) | undefined;

/** The Deps of one request, scoped to the caller's account; clients are built once per cold start. */
export const depsFor = (accountId: string): Deps => (depsOfAccount ??= buildDepsFactory(config()))(accountId);

/** Tenants and keys (lib/auth), on the same table. */
export const buildTenantStore = (settings: Config, overrides: Overrides = {}) => new TenantStore(overrides.table ?? tableFor(settings));

let builtAuthenticator: Authenticator | undefined;
let builtSecrets: (() => Promise<AuthSecrets>) | undefined;

export const authSecrets = () => (builtSecrets ??= secretsSource(config().auth, config().region));

export const authenticator = (): Authenticator =>
  (builtAuthenticator ??= new Authenticator(config(), buildTenantStore(config()), authSecrets(), systemClock));
