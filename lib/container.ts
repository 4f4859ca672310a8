import { DynamoClusterRepository } from './adapters/dynamodb/cluster-repository';
import { createTableContext } from './adapters/dynamodb/table';
import { DynamoTaskDefinitionRepository } from './adapters/dynamodb/task-definition-repository';
import { config, type Config } from './config';
import { systemClock, type Clock, type Deps } from './deps';

/** The composition root: SDK clients and adapters are built once per cold start and injected. */
export const buildDeps = (settings: Config, clock: Clock = systemClock): Deps => {
  const table = createTableContext({
    tableName: settings.tableName,
    region: settings.region,
    endpoint: settings.dynamoDbEndpoint,
  });
  const scope = { region: settings.region, accountId: settings.accountId };
  return {
    clock,
    scope,
    clusters: new DynamoClusterRepository(table, scope),
    taskDefinitions: new DynamoTaskDefinitionRepository(table, scope),
  };
};

let built: Deps | undefined;

export const deps = (): Deps => (built ??= buildDeps(config()));
