import { mapConcurrently } from '../../lib/concurrency';
import { createTableContext } from '../../lib/adapters/dynamodb/table';
import { buildReconciler } from '../../lib/container';
import { createService, describeServices, updateService } from '../../lib/usecases/services';
import { depsWithWebFamily, dynamoEndpoint, testConfig, TestClock } from '../support/dynamo';

const network = { awsvpcConfiguration: { subnets: ['subnet-1'] } };
const SERVICES = 48;
const name = (index: number) => `svc-${String(index).padStart(2, '0')}`;

/**
 * A due pass over many due services reads them in a sweep of the reconcile index (a Query per page
 * of items), not one Query per service; when what it sweeps is mostly not due, it goes on one Query
 * per service. Either way every due service is acted on, and nothing else.
 */
describe('due passes over many services', () => {
  it('sweep the reconcile index when the due services are dense, and read them one by one when sparse', async () => {
    const clock = new TestClock();
    const deps = await depsWithWebFamily(clock);
    const settings = testConfig(deps.tableName);
    const table = createTableContext({ tableName: deps.tableName, region: 'us-east-1', endpoint: dynamoEndpoint(), pageTokenSecret: 'test' });
    let reconcileQueries = 0;
    table.client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { IndexName?: string };
        if (context.commandName === 'QueryCommand' && input.IndexName === 'GSI1') reconcileQueries++;
        return next(args);
      },
      { step: 'initialize', name: 'countReconcileQueries' },
    );
    // Pages of 20 items: a sweep is several pages, so its switch to one Query per service can show.
    const { reconciler } = buildReconciler(settings, { clock, table, reconcilePageSize: 20 });
    const pass = async () => {
      reconcileQueries = 0;
      const outcome = await reconciler.pass('due');
      await reconciler.release();
      return { ...outcome, reconcileQueries };
    };

    // Dense: every service is due (just created, no tasks: 48 items in the index).
    await mapConcurrently(Array.from({ length: SERVICES }, (_, index) => name(index)), 8, (serviceName) =>
      createService(deps, { cluster: 'c1', serviceName, taskDefinition: 'web', desiredCount: 0, launchType: 'FARGATE', networkConfiguration: network }),
    );
    const dense = await pass();
    expect(dense).toMatchObject({ visited: SERVICES, acted: SERVICES, busy: false });
    // The due index's 48 entries are pages of 20, 20 and 8: the first two are a sweep of one or two
    // pages of the reconcile index each instead of 20 Queries; the last one's 8 are read one by one.
    expect(dense.reconcileQueries).toBeLessThanOrEqual(4 + 8);
    clock.advance(1_000);
    expect(await pass()).toMatchObject({ visited: 0, acted: 0 });

    // Sparse: every third service scaled to 2 (16 due, each between two steady ones).
    const scaled = Array.from({ length: SERVICES / 3 }, (_, index) => name(index * 3));
    for (const serviceName of scaled) await updateService(deps, 'c1', serviceName, { desiredCount: 2 });
    const sparse = await pass();
    expect(sparse).toMatchObject({ visited: scaled.length, acted: scaled.length, busy: false });
    // One due page of 16: its sweep's first page (20 items) finds 13 not due; the rest is read one Query per service.
    expect(sparse.reconcileQueries).toBeLessThanOrEqual(2 + scaled.length);
    expect(sparse.reconcileQueries).toBeGreaterThan(scaled.length / 2);
    const described = await describeServices(deps, 'c1', Array.from({ length: 10 }, (_, index) => name(index)));
    for (const service of described.services) {
      const launched = service.pendingCount + service.runningCount;
      expect([service.serviceName, launched]).toEqual([service.serviceName, scaled.includes(service.serviceName) ? 2 : 0]);
    }
  });
});
