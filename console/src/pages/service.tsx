import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, familyRevision, taskId, type Deployment, type Service, type Task } from '../api';
import { usePoll } from '../poll';
import { FAILURES, failingRevision, type FailureId } from '../presets';
import { href } from '../router';
import { bounds, explain } from '../explain';
import { ScalingSection } from '../scaling';
import { loadTasks, TaskCard } from '../tasks';
import { ActionButton, Badge, Empty, ErrorBanner, Loading, time } from '../ui';

/** A deployment's progress on the service's scale, with the rollout's min/max bounds drawn. */
const DeploymentCard = ({ service, deployment }: { service: Service; deployment: Deployment }) => {
  const { minimum, maximum, minimumPercent, maximumPercent } = bounds(service);
  const scale = Math.max(maximum, deployment.desiredCount, deployment.runningCount + deployment.pendingCount, 1);
  const percent = (count: number) => `${(100 * count) / scale}%`;
  return (
    <li class={`card deployment ${deployment.status.toLowerCase()}`} data-deployment={deployment.status}>
      <div class="task-head">
        <Badge status={deployment.status} />
        <span class="mono">{familyRevision(deployment.taskDefinition)}</span>
        <Badge status={deployment.rolloutState} />
      </div>
      <div
        class="bar"
        role="meter"
        aria-valuemin={0}
        aria-valuemax={scale}
        aria-valuenow={deployment.runningCount}
        aria-label={`${deployment.runningCount} of ${deployment.desiredCount} tasks running`}
      >
        <span class="fill running" style={{ width: percent(deployment.runningCount) }} />
        <span class="fill pending" style={{ width: percent(deployment.pendingCount) }} />
        <span class="target" style={{ left: percent(deployment.desiredCount) }} title={`desired ${deployment.desiredCount}`} />
        {deployment.status === 'PRIMARY' && (
          <>
            <span class="bound min" style={{ left: percent(minimum) }} data-label={`min ${minimum}`} />
            <span class="bound max" style={{ left: percent(maximum) }} data-label={`max ${maximum}`} />
          </>
        )}
      </div>
      <p class="small">
        {deployment.runningCount} running, {deployment.pendingCount} pending of {deployment.desiredCount} desired
        {deployment.failedTasks > 0 && <>, <strong>{deployment.failedTasks} failed</strong></>}
        {deployment.status === 'PRIMARY' && (
          <span class="bounds-text">
            {' '}· bounds: min {minimum} ({minimumPercent}%) – max {maximum} ({maximumPercent}%)
          </span>
        )}
      </p>
      {deployment.rolloutStateReason && <p class="small muted">{deployment.rolloutStateReason}</p>}
    </li>
  );
};

const ScaleSlider = ({ cluster, service, onChange }: { cluster: string; service: Service; onChange: () => void }) => {
  const [value, setValue] = useState(service.desiredCount);
  const [error, setError] = useState<Error>();
  useEffect(() => setValue(service.desiredCount), [service.desiredCount]);
  const commit = async (desiredCount: number) => {
    if (desiredCount === service.desiredCount) return;
    setError(undefined);
    try {
      await api.updateService(cluster, service.serviceName, { desiredCount });
      onChange();
    } catch (caught) {
      setError(caught as Error);
    }
  };
  return (
    <div class="slider">
      <label for="desired">Desired tasks: <output for="desired">{value}</output></label>
      <input
        id="desired"
        type="range"
        min={0}
        max={Math.max(10, service.desiredCount * 2)}
        value={value}
        onInput={(event) => setValue(Number(event.currentTarget.value))}
        onChange={(event) => void commit(Number(event.currentTarget.value))}
      />
      <ErrorBanner error={error} />
    </div>
  );
};

const RollForm = ({ cluster, service, onChange }: { cluster: string; service: Service; onChange: () => void }) => {
  const family = familyRevision(service.taskDefinition).split(':')[0];
  const revisions = usePoll(() => api.listRevisions(family), `revisions:${family}`, 5000);
  const [target, setTarget] = useState('');
  const [failure, setFailure] = useState<FailureId>('exit');
  return (
    <div class="panel">
      <h2>Deploy</h2>
      <div class="inline">
        <label>
          Revision
          <select value={target} onChange={(event) => setTarget(event.currentTarget.value)}>
            <option value="">Choose a revision…</option>
            {revisions.data?.map((arn) => <option key={arn} value={familyRevision(arn)}>{familyRevision(arn)}{arn === service.taskDefinition ? ' (current)' : ''}</option>)}
          </select>
        </label>
        <ActionButton
          label="Roll to revision"
          kind="primary"
          disabled={!target}
          action={async () => {
            await api.updateService(cluster, service.serviceName, { taskDefinition: target });
            onChange();
          }}
        />
        <ActionButton
          label="Force new deployment"
          action={async () => {
            await api.updateService(cluster, service.serviceName, { forceNewDeployment: true });
            onChange();
          }}
        />
      </div>
      <div class="inline">
        <label>
          Failure preset
          <select value={failure} onChange={(event) => setFailure(event.currentTarget.value as FailureId)}>
            {FAILURES.map((preset) => <option key={preset.id} value={preset.id}>{preset.label}</option>)}
          </select>
        </label>
        <ActionButton
          label="Deploy a failing revision"
          kind="danger"
          action={async () => {
            const current = await api.describeTaskDefinition(familyRevision(service.taskDefinition));
            const { taskDefinition } = await api.registerTaskDefinition(failingRevision(current, failure));
            await api.updateService(cluster, service.serviceName, { taskDefinition: familyRevision(taskDefinition.taskDefinitionArn) });
            onChange();
          }}
        />
      </div>
    </div>
  );
};

export const ServicePage = ({ cluster, service: serviceName }: { cluster: string; service: string }) => {
  const view = usePoll(async () => {
    const [service, tasks] = await Promise.all([api.describeService(cluster, serviceName), loadTasks(cluster, { serviceName })]);
    return { service, tasks };
  }, `service:${cluster}/${serviceName}`);
  const crumbs = (
    <nav aria-label="Breadcrumb" class="crumbs">
      <a href={href.clusters()}>Clusters</a> / <a href={href.cluster(cluster)}>{cluster}</a> /
    </nav>
  );
  if (!view.data) {
    const missing = view.error instanceof ApiError && (view.error.status === 404 || view.error.type.endsWith('NotFoundException'));
    return (
      <section>
        {crumbs}
        <h1>Service {serviceName}</h1>
        <ErrorBanner error={view.error} />
        {missing ? <Empty>No such service in this cluster.</Empty> : !view.error && <Loading />}
      </section>
    );
  }
  const { service, tasks } = view.data;
  const why = explain(service, tasks);
  return (
    <section>
      {crumbs}
      <h1>
        Service {service.serviceName} <Badge status={service.status} />
      </h1>
      <ErrorBanner error={view.error} />
      <dl class="counts">
        <div><dt>Desired</dt><dd data-count="desired">{service.desiredCount}</dd></div>
        <div><dt>Pending</dt><dd data-count="pending">{service.pendingCount}</dd></div>
        <div><dt>Running</dt><dd data-count="running">{service.runningCount}</dd></div>
      </dl>
      {why && (
        <p class="banner explain" role="status">
          {why}
        </p>
      )}
      <div class="forms">
        <div class="panel">
          <h2>Scale</h2>
          <ScaleSlider cluster={cluster} service={service} onChange={view.refresh} />
        </div>
        <RollForm cluster={cluster} service={service} onChange={view.refresh} />
      </div>
      <h2>Deployments</h2>
      <ul class="cards deployments">
        {service.deployments.map((deployment) => <DeploymentCard key={deployment.id} service={service} deployment={deployment} />)}
      </ul>
      <ScalingSection cluster={cluster} service={service} />
      <h2>Tasks</h2>
      {tasks.length === 0 ? (
        <Empty>No tasks. Scale the service up to start some.</Empty>
      ) : (
        <ul class="cards tasks">
          {tasks.map((task) => (
            <TaskCard
              key={task.taskArn}
              cluster={cluster}
              task={task}
              actions={
                task.desiredStatus === 'RUNNING' && (
                  <ActionButton
                    label="Stop"
                    kind="danger"
                    action={async () => {
                      await api.stopTask(cluster, taskId(task.taskArn), 'Stopped from the ecsbox console');
                      view.refresh();
                    }}
                  />
                )
              }
            />
          ))}
        </ul>
      )}
      <h2>Events</h2>
      {service.events.length === 0 ? (
        <Empty>No events yet.</Empty>
      ) : (
        <ol class="events">
          {service.events.map((event) => (
            <li key={event.id}>
              <time dateTime={event.createdAt}>{time(event.createdAt)}</time> {event.message}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
};
