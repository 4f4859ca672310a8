import { useState } from 'preact/hooks';
import { api, ApiError, type Service, type Task } from '../api';
import { usePoll } from '../poll';
import { FAILURES, failureOverrides, type FailureId } from '../presets';
import { href } from '../router';
import { loadTasks, TaskCard } from '../tasks';
import { ActionButton, Badge, Empty, ErrorBanner, Loading } from '../ui';

/** The default subnet of the forms: any id works on the simulated fleet (docs/simulated-fleet.md). */
export const DEFAULT_SUBNET = 'subnet-0a1b2c3d';

const networkConfiguration = (subnet: string) => ({ awsvpcConfiguration: { subnets: [subnet], assignPublicIp: 'DISABLED' } });

export const useFamilies = () => usePoll(api.listFamilies, 'families', 5000);

type Families = ReturnType<typeof useFamilies>;

const FamilySelect = ({ id, families, value, onChange }: { id: string; families: Families; value: string; onChange: (family: string) => void }) => {
  return (
    <>
      <select id={id} value={value} onChange={(event) => onChange(event.currentTarget.value)} required>
        <option value="">Choose a task definition…</option>
        {families.data?.map((family) => <option key={family} value={family}>{family} (latest)</option>)}
      </select>
      {families.data?.length === 0 && (
        <small>
          No task definitions yet: <a href={href.taskDefinitions()}>register one</a>.
        </small>
      )}
    </>
  );
};

const CreateServiceForm = ({ cluster, families, onCreated }: { cluster: string; families: Families; onCreated: (service: string) => void }) => {
  const [name, setName] = useState('web');
  const [family, setFamily] = useState('');
  const [count, setCount] = useState(2);
  const [minimum, setMinimum] = useState(100);
  const [maximum, setMaximum] = useState(200);
  const [breaker, setBreaker] = useState(true);
  const [subnet, setSubnet] = useState(DEFAULT_SUBNET);
  // Sent always: with none ECS's default applies (the cluster's default strategy, else EC2).
  const [launchType, setLaunchType] = useState<'FARGATE' | 'EC2'>('FARGATE');
  return (
    <form class="panel" aria-labelledby="create-service" onSubmit={(event) => event.preventDefault()}>
      <h2 id="create-service">Create a service</h2>
      <div class="grid">
        <label>Service name <input value={name} onInput={(event) => setName(event.currentTarget.value)} required /></label>
        <label for="service-family">Task definition</label>
        <FamilySelect id="service-family" families={families} value={family} onChange={setFamily} />
        <label>Desired tasks <input type="number" min={0} max={100} value={count} onInput={(event) => setCount(Number(event.currentTarget.value))} /></label>
        <label>
          Launch type
          <select value={launchType} onChange={(event) => setLaunchType(event.currentTarget.value as 'FARGATE' | 'EC2')}>
            <option value="FARGATE">FARGATE</option>
            <option value="EC2">EC2 (the cluster's container instances)</option>
          </select>
        </label>
        <label>Minimum healthy % <input type="number" min={0} max={100} value={minimum} onInput={(event) => setMinimum(Number(event.currentTarget.value))} /></label>
        <label>Maximum % <input type="number" min={100} max={200} value={maximum} onInput={(event) => setMaximum(Number(event.currentTarget.value))} /></label>
        <label>Subnet (awsvpc) <input value={subnet} onInput={(event) => setSubnet(event.currentTarget.value)} /></label>
        <label class="check"><input type="checkbox" checked={breaker} onChange={(event) => setBreaker(event.currentTarget.checked)} /> Circuit breaker with rollback</label>
      </div>
      <ActionButton
        label="Create service"
        kind="primary"
        disabled={!family}
        action={async () => {
          await api.createService(cluster, {
            serviceName: name,
            taskDefinition: family,
            desiredCount: count,
            launchType,
            // awsvpc needs a subnet; an EC2 service of a bridge or host definition takes none.
            ...(subnet ? { networkConfiguration: networkConfiguration(subnet) } : {}),
            deploymentConfiguration: {
              minimumHealthyPercent: minimum,
              maximumPercent: maximum,
              deploymentCircuitBreaker: { enable: breaker, rollback: breaker },
            },
          });
          onCreated(name);
        }}
      />
    </form>
  );
};

const RunTaskForm = ({ cluster, families, onRun }: { cluster: string; families: Families; onRun: () => void }) => {
  const [family, setFamily] = useState('');
  const [count, setCount] = useState(1);
  const [failure, setFailure] = useState<FailureId | ''>('');
  const [failures, setFailures] = useState<string[]>([]);
  return (
    <form class="panel" aria-labelledby="run-task" onSubmit={(event) => event.preventDefault()}>
      <h2 id="run-task">Run a task</h2>
      <div class="grid">
        <label for="run-family">Task definition</label>
        <FamilySelect id="run-family" families={families} value={family} onChange={setFamily} />
        <label>Count <input type="number" min={1} max={10} value={count} onInput={(event) => setCount(Number(event.currentTarget.value))} /></label>
        <label>
          Deliberate failure
          <select value={failure} onChange={(event) => setFailure(event.currentTarget.value as FailureId | '')}>
            <option value="">None: runs until stopped</option>
            {FAILURES.map((preset) => <option key={preset.id} value={preset.id}>{preset.label}</option>)}
          </select>
        </label>
      </div>
      <ActionButton
        label="Run task"
        kind="primary"
        disabled={!family}
        action={async () => {
          const overrides = failure ? failureOverrides(await api.describeTaskDefinition(family), failure) : undefined;
          const result = await api.runTask(cluster, {
            taskDefinition: family,
            count,
            launchType: 'FARGATE',
            networkConfiguration: networkConfiguration(DEFAULT_SUBNET),
            ...(overrides ? { overrides } : {}),
          });
          setFailures(result.failures.map((entry) => `${entry.reason}${entry.detail ? `: ${entry.detail}` : ''}`));
          onRun();
        }}
      />
      {failures.length > 0 && <div class="banner error" role="alert">{failures.join('; ')}</div>}
    </form>
  );
};

const ServiceRow = ({ cluster, service }: { cluster: string; service: Service }) => {
  const primary = service.deployments.find((deployment) => deployment.status === 'PRIMARY');
  return (
    <tr>
      <th scope="row"><a href={href.service(cluster, service.serviceName)}>{service.serviceName}</a></th>
      <td><Badge status={service.status} /></td>
      <td>{service.desiredCount}</td>
      <td>{service.pendingCount}</td>
      <td>{service.runningCount}</td>
      <td>{primary && <Badge status={primary.rolloutState} />} {service.deployments.length > 1 && <small>{service.deployments.length} deployments</small>}</td>
    </tr>
  );
};

export const ClusterPage = ({ cluster }: { cluster: string }) => {
  const overview = usePoll(
    async () => {
      const [detail, services, tasks] = await Promise.all([
        api.describeCluster(cluster),
        api.listServices(cluster),
        loadTasks(cluster, { standalone: true }),
      ]);
      return { detail, services, tasks };
    },
    `cluster:${cluster}`,
  );
  const families = useFamilies();
  const notFound = overview.error instanceof ApiError && overview.error.status === 404;
  return (
    <section>
      <nav aria-label="Breadcrumb" class="crumbs"><a href={href.clusters()}>Clusters</a> /</nav>
      <h1>Cluster {cluster}</h1>
      <ErrorBanner error={overview.error} />
      {notFound ? (
        <Empty>This cluster does not exist (or was deleted). <a href={href.clusters()}>See all clusters</a>.</Empty>
      ) : !overview.data ? (
        !overview.error && <Loading />
      ) : (
        <>
          <dl class="counts">
            <div><dt>Services</dt><dd>{overview.data.detail.activeServicesCount}</dd></div>
            <div><dt>Running tasks</dt><dd>{overview.data.detail.runningTasksCount}</dd></div>
            <div><dt>Pending tasks</dt><dd>{overview.data.detail.pendingTasksCount}</dd></div>
          </dl>
          <h2>Services</h2>
          {overview.data.services.length === 0 ? (
            <Empty>No services in this cluster. Create one below.</Empty>
          ) : (
            <div class="scroll">
              <table>
                <thead>
                  <tr><th scope="col">Service</th><th scope="col">Status</th><th scope="col">Desired</th><th scope="col">Pending</th><th scope="col">Running</th><th scope="col">Rollout</th></tr>
                </thead>
                <tbody>
                  {overview.data.services.map((service) => <ServiceRow key={service.serviceArn} cluster={cluster} service={service} />)}
                </tbody>
              </table>
            </div>
          )}
          <h2>Standalone tasks</h2>
          {overview.data.tasks.length === 0 ? (
            <Empty>No standalone tasks. Run one below.</Empty>
          ) : (
            <ul class="cards tasks">{overview.data.tasks.map((task: Task) => <TaskCard key={task.taskArn} cluster={cluster} task={task} />)}</ul>
          )}
          <div class="forms">
            <CreateServiceForm cluster={cluster} families={families} onCreated={(service) => (location.hash = href.service(cluster, service))} />
            <RunTaskForm cluster={cluster} families={families} onRun={overview.refresh} />
          </div>
        </>
      )}
    </section>
  );
};
