import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { parse, type Tags } from 'yaml';

/**
 * The table is defined once, in serverless.yml's `resources`. Locally we read that definition and
 * create the same table in DynamoDB Local, so that the local and deployed tables cannot drift.
 */
const cloudFormationTags: Tags = [
  'Ref', 'GetAtt', 'Sub', 'Join', 'Select', 'Split', 'If', 'Equals', 'Not', 'And', 'Or',
  'FindInMap', 'GetAZs', 'Base64', 'Cidr', 'ImportValue',
].flatMap(
  (name) =>
    (['scalar', 'seq', 'map'] as const).map((collection) => ({
      tag: `!${name}`,
      collection: collection === 'scalar' ? undefined : collection,
      resolve: (value: unknown) => ({ [`Fn::${name}`]: value }),
    })) as Tags,
);

interface TableResource {
  Properties: {
    AttributeDefinitions: CreateTableCommandInput['AttributeDefinitions'];
    KeySchema: CreateTableCommandInput['KeySchema'];
    GlobalSecondaryIndexes?: CreateTableCommandInput['GlobalSecondaryIndexes'];
    TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
  };
}

export const tableResource = (root = process.cwd()): TableResource => {
  const document = parse(readFileSync(join(root, 'serverless.yml'), 'utf8'), { customTags: cloudFormationTags, logLevel: 'error' }) as {
    resources: { Resources: Record<string, TableResource & { Type: string }> };
  };
  const table = document.resources.Resources.Table;
  if (table?.Type !== 'AWS::DynamoDB::Table') throw new Error('serverless.yml has no AWS::DynamoDB::Table named Table');
  return table;
};

export const createTable = async (endpoint: string, tableName: string): Promise<void> => {
  const { Properties } = tableResource();
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: Properties.AttributeDefinitions,
        KeySchema: Properties.KeySchema,
        GlobalSecondaryIndexes: Properties.GlobalSecondaryIndexes,
      }),
    );
    if (Properties.TimeToLiveSpecification) {
      await client.send(
        new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: Properties.TimeToLiveSpecification }),
      );
    }
  } finally {
    client.destroy();
  }
};
