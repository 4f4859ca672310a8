import { api, familyRevision, taskId, type Task } from './api';
import { href } from './router';
import { Badge } from './ui';

/** ECS's task lifecycle, in order (docs/simulated-fleet.md). */
export const LIFECYCLE = ['PROVISIONING', 'PENDING', 'ACTIVATING', 'RUNNING', 'DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED'];

/** At most this many stopped tasks are shown per list. */
export const STOPPED_SHOWN = 6;

/** At most this many stopped tasks are looked at (ListTasks is not in time order). */
const STOPPED_READ = 50;

/** A STOPPED task never changes again: each is described once per page load, not once per poll. */
const finished = new Map<string, Task>();

const describeOnce = async (cluster: string, id: string): Promise<Task> => {
  const known = finished.get(`${cluster}/${id}`);
  if (known) return known;
  const task = await api.describeTask(cluster, id);
  if (task.lastStatus === 'STOPPED') finished.set(`${cluster}/${id}`, task);
  return task;
};

/** Tasks going up or running (oldest first), then the most recently stopping or stopped ones. */
export const loadTasks = async (cluster: string, filter: { serviceName?: string; standalone?: boolean }): Promise<Task[]> => {
  const [live, stopped] = await Promise.all([
    api.listTaskIds(cluster, { serviceName: filter.serviceName, desiredStatus: 'RUNNING' }),
    api.listTaskIds(cluster, { serviceName: filter.serviceName, desiredStatus: 'STOPPED' }),
  ]);
  const describe = (ids: string[]) => Promise.all(ids.map((id) => describeOnce(cluster, id)));
  const keep = (tasks: Task[]) => (filter.standalone ? tasks.filter((task) => !task.group?.startsWith('service:')) : tasks);
  const [running, gone] = await Promise.all([describe(live).then(keep), describe(stopped.slice(0, STOPPED_READ)).then(keep)]);
  const newestFirst = (a: Task, b: Task) => (b.stoppingAt ?? b.createdAt ?? '').localeCompare(a.stoppingAt ?? a.createdAt ?? '');
  return [...running.sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? '')), ...gone.sort(newestFirst).slice(0, STOPPED_SHOWN)];
};

/** A task as a card: where it is in the lifecycle, drawn as steps, and why it stopped. */
export const TaskCard = ({ cluster, task, actions }: { cluster: string; task: Task; actions?: preact.ComponentChildren }) => {
  const reached = LIFECYCLE.indexOf(task.lastStatus);
  const id = taskId(task.taskArn);
  return (
    <li class={`card task ${task.lastStatus.toLowerCase()}`} data-task={id} data-status={task.lastStatus}>
      <div class="task-head">
        <a href={href.task(cluster, id)} class="mono">{id.slice(0, 12)}</a>
        <Badge status={task.lastStatus} />
        {task.healthStatus && task.healthStatus !== 'UNKNOWN' && <Badge status={task.healthStatus} />}
      </div>
      <div class="mono small">{familyRevision(task.taskDefinitionArn)}</div>
      <ol class="steps" aria-label={`Lifecycle: ${task.lastStatus}`}>
        {LIFECYCLE.map((status, index) => (
          <li key={status} class={index < reached ? 'past' : index === reached ? 'now' : ''} title={status} />
        ))}
      </ol>
      {task.desiredStatus === 'STOPPED' && task.stoppedReason && (
        <p class="reason">
          <strong>{task.stopCode ?? 'Stopped'}:</strong> {task.stoppedReason}
        </p>
      )}
      {actions}
    </li>
  );
};
