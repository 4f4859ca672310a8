import { api, ApiError, familyRevision } from '../api';
import { usePoll } from '../poll';
import { href } from '../router';
import { LIFECYCLE } from '../tasks';
import { ActionButton, Badge, Empty, ErrorBanner, Loading, Timeline } from '../ui';

export const TaskPage = ({ cluster, task: id }: { cluster: string; task: string }) => {
  const view = usePoll(() => api.describeTask(cluster, id), `task:${cluster}/${id}`);
  const task = view.data;
  const crumbs = (
    <nav aria-label="Breadcrumb" class="crumbs">
      <a href={href.clusters()}>Clusters</a> / <a href={href.cluster(cluster)}>{cluster}</a> /
      {task?.group?.startsWith('service:') && (
        <>
          {' '}<a href={href.service(cluster, task.group.slice('service:'.length))}>{task.group.slice('service:'.length)}</a> /
        </>
      )}
    </nav>
  );
  if (!task) {
    const missing = view.error instanceof ApiError && view.error.status === 404;
    return (
      <section>
        {crumbs}
        <h1>Task {id}</h1>
        <ErrorBanner error={view.error} />
        {missing ? <Empty>No such task: stopped tasks are forgotten after the retention period.</Empty> : !view.error && <Loading />}
      </section>
    );
  }
  const eni = task.attachments?.find((attachment) => attachment.type === 'ElasticNetworkInterface');
  return (
    <section>
      {crumbs}
      <h1 class="mono-title">
        Task {id} <Badge status={task.lastStatus} />
      </h1>
      <ErrorBanner error={view.error} />
      <dl class="facts">
        <div><dt>Task definition</dt><dd><a href={href.family(familyRevision(task.taskDefinitionArn).split(':')[0])}>{familyRevision(task.taskDefinitionArn)}</a></dd></div>
        <div><dt>Desired status</dt><dd>{task.desiredStatus}</dd></div>
        <div><dt>Last status</dt><dd>{task.lastStatus} <small>({LIFECYCLE.indexOf(task.lastStatus) + 1} of {LIFECYCLE.length})</small></dd></div>
        <div><dt>Health</dt><dd><Badge status={task.healthStatus ?? 'UNKNOWN'} /></dd></div>
        <div><dt>Started by</dt><dd>{task.startedBy ?? task.group ?? '—'}</dd></div>
        <div><dt>CPU / memory</dt><dd>{task.cpu ?? '—'} / {task.memory ?? '—'}</dd></div>
      </dl>
      {task.desiredStatus === 'STOPPED' && (
        <div class="banner explain" role="status">
          <strong>Stop code:</strong> <span data-field="stopCode">{task.stopCode ?? '—'}</span>
          <br />
          <strong>Stopped reason:</strong> <span data-field="stoppedReason">{task.stoppedReason ?? '—'}</span>
        </div>
      )}
      {task.desiredStatus === 'RUNNING' && (
        <ActionButton label="Stop task" kind="danger" action={async () => { await api.stopTask(cluster, id, 'Stopped from the ecsbox console'); view.refresh(); }} />
      )}
      <div class="columns">
        <div>
          <h2>Lifecycle</h2>
          <Timeline
            steps={[
              ['Created', task.createdAt],
              ['Image pull started', task.pullStartedAt],
              ['Image pull stopped', task.pullStoppedAt],
              ['Network connected', task.connectivityAt],
              ['Started (RUNNING)', task.startedAt],
              ['Stopping', task.stoppingAt],
              ['Execution stopped', task.executionStoppedAt],
              ['Stopped', task.stoppedAt],
            ]}
          />
        </div>
        <div>
          <h2>Network</h2>
          {eni ? (
            <dl class="facts">
              <div><dt>Attachment</dt><dd>{eni.type} <Badge status={eni.status} /></dd></div>
              {eni.details.map((detail) => (
                <div key={detail.name}><dt>{detail.name}</dt><dd class="mono">{detail.value}</dd></div>
              ))}
              {task.availabilityZone && <div><dt>Availability zone</dt><dd>{task.availabilityZone}</dd></div>}
            </dl>
          ) : (
            <Empty>No network attachment: the task was launched without an awsvpcConfiguration.</Empty>
          )}
        </div>
      </div>
      <h2>Containers</h2>
      <div class="scroll">
        <table>
          <thead>
            <tr><th scope="col">Name</th><th scope="col">Image</th><th scope="col">Status</th><th scope="col">Health</th><th scope="col">Exit code</th><th scope="col">Reason</th></tr>
          </thead>
          <tbody>
            {task.containers.map((container) => (
              <tr key={container.name}>
                <th scope="row">{container.name}</th>
                <td class="mono">{container.image}</td>
                <td><Badge status={container.lastStatus} /></td>
                <td>{container.healthStatus ?? '—'}</td>
                <td data-field="exitCode">{container.exitCode ?? '—'}</td>
                <td>{container.reason ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
};
