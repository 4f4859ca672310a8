import { useState } from 'preact/hooks';
import { api, type LoadInput, type Service, type ServiceLoad, type ServiceMetrics, type ServiceScaling } from './api';
import { cpuTarget, explainScaling, SCALE_IN_RATIO } from './explain';
import { usePoll } from './poll';
import { Badge, Empty, ErrorBanner, time } from './ui';

/** The chart shows this many metric minutes (twice the 15 that target tracking's scale-in needs). */
export const CHART_MINUTES = 30;
/** A metric minute lasts 5 s on the fast profile: polling faster would only fetch the same datapoints. */
const SCALING_POLL_MS = 5000;

const W = 640;
const H = 200;
const PAD = { left: 52, right: 8, top: 12, bottom: 22 };

/** The y axis' ticks: round steps (10, 20, 25, 50, 100, …), at most 5 of them up to the highest value. */
const axisTicks = (highest: number) => {
  const steps = [10, 20, 25, 50].flatMap((step) => [step, step * 10, step * 100, step * 1000]).sort((a, b) => a - b);
  const step = steps.find((candidate) => Math.ceil(highest / candidate) <= 5) ?? steps[steps.length - 1];
  return Array.from({ length: Math.ceil(highest / step) + 1 }, (_, index) => index * step);
};

/**
 * The service's CPUUtilization per metric minute (average line, minimum–maximum band) with the
 * target tracking policy's target and its scale-in threshold drawn across. Hand-drawn SVG: a
 * chart library would weigh more than the whole console.
 */
export const CpuChart = ({ metrics, target }: { metrics: ServiceMetrics; target?: number }) => {
  const start = Date.parse(metrics.start);
  const end = Date.parse(metrics.end);
  const periodMs = (metrics.periodSeconds * 1000) / metrics.timeScale;
  const points = metrics.datapoints.map((point) => ({ ...point, at: Date.parse(point.timestamp) + periodMs / 2 }));
  const ticks = axisTicks(Math.max(100, ...points.map((point) => point.maximum), ...(target ? [target * 1.2] : [])));
  const top = ticks[ticks.length - 1];
  const x = (at: number) => PAD.left + ((at - start) / (end - start)) * (W - PAD.left - PAD.right);
  const y = (value: number) => PAD.top + (1 - value / top) * (H - PAD.top - PAD.bottom);
  // A period without a RUNNING task has no datapoint: the line breaks there rather than lying.
  const runs: Array<typeof points> = [];
  for (const point of points) {
    const run = runs[runs.length - 1];
    if (run && point.at - run[run.length - 1].at <= periodMs * 1.5) run.push(point);
    else runs.push([point]);
  }
  const line = runs.map((run) => run.map((point, index) => `${index ? 'L' : 'M'}${x(point.at).toFixed(1)},${y(point.average).toFixed(1)}`).join('')).join('');
  const band = runs
    .map((run) => {
      const upper = run.map((point) => `${x(point.at).toFixed(1)},${y(point.maximum).toFixed(1)}`);
      const lower = run.map((point) => `${x(point.at).toFixed(1)},${y(point.minimum).toFixed(1)}`).reverse();
      return `M${[...upper, ...lower].join('L')}Z`;
    })
    .join('');
  const last = points[points.length - 1];
  const summary =
    `CPU utilization over the last ${metrics.datapoints.length ? `${CHART_MINUTES} metric minutes` : 'minutes: no datapoints yet'}` +
    (last ? `, now ${last.average} % on average` : '') +
    (target ? `; target ${target} %, scale-in below ${Math.round(target * SCALE_IN_RATIO * 10) / 10} %` : '');
  // The target's label sits above its line, the threshold's below: the two lines are close.
  const horizontal = (value: number, kind: string, label: string, below = false) => (
    <g class={kind} data-value={value}>
      <line x1={PAD.left} x2={W - PAD.right} y1={y(value)} y2={y(value)} />
      <text x={W - PAD.right - 4} y={y(value) + (below ? 13 : -4)} text-anchor="end">{label}</text>
    </g>
  );
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary}>
        {ticks.map((tick) => (
          <g key={tick} class="grid">
            <line x1={PAD.left} x2={W - PAD.right} y1={y(tick)} y2={y(tick)} />
            <text x={PAD.left - 6} y={y(tick) + 4} text-anchor="end">{tick} %</text>
          </g>
        ))}
        <text class="axis" x={PAD.left} y={H - 6}>{time(metrics.start)}</text>
        <text class="axis" x={W - PAD.right} y={H - 6} text-anchor="end">{time(metrics.end)}</text>
        {band && <path class="band" d={band} />}
        {line && <path class="average" d={line} />}
        {last && <circle class="average-dot" cx={x(last.at)} cy={y(last.average)} r={3.5} />}
        {target !== undefined && horizontal(target * SCALE_IN_RATIO, 'threshold-line', `scale-in below ${Math.round(target * SCALE_IN_RATIO * 10) / 10} %`, true)}
        {target !== undefined && horizontal(target, 'target-line', `target ${target} %`)}
      </svg>
      <figcaption class="small muted">
        Average CPU per task, each metric minute (band: lowest to highest task){metrics.timeScale > 1 ? `; a metric minute lasts ${60 / metrics.timeScale} s here` : ''}.
      </figcaption>
    </figure>
  );
};

const SHAPES: Array<{ id: NonNullable<LoadInput['shape']>; label: string }> = [
  { id: 'constant', label: 'Constant' },
  { id: 'step', label: 'Step' },
  { id: 'ramp', label: 'Ramp' },
  { id: 'spike', label: 'Spike' },
];

/** "step from 20 % to 90 % after 120 s", as the load was set. */
const describeLoad = (load: NonNullable<ServiceLoad['load']>) => {
  const to = load.then ? ` to ${load.then.cpuUtilization} %` : '';
  switch (load.shape ?? 'constant') {
    case 'constant':
      return `constant ${load.cpuUtilization} %`;
    case 'step':
      return `${load.cpuUtilization} %, then${to} after ${load.afterSeconds ?? 0} s`;
    case 'ramp':
      return `${load.cpuUtilization} % ramping${to} over ${load.overSeconds ?? 300} s`;
    case 'spike':
      return `${load.cpuUtilization} %, a spike${to} after ${load.afterSeconds ?? 0} s for ${load.forSeconds ?? 60} s`;
    case 'sine':
      return `${load.cpuUtilization} % swinging${to} every ${load.periodSeconds ?? 86_400} s`;
  }
};

const LoadForm = ({ cluster, service, load, onChange }: { cluster: string; service: string; load: ServiceLoad; onChange: () => void }) => {
  const [shape, setShape] = useState<NonNullable<LoadInput['shape']>>('constant');
  const [cpu, setCpu] = useState(String(load.load?.cpuUtilization ?? 50));
  const [then, setThen] = useState('20');
  const [seconds, setSeconds] = useState('120');
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    const input: LoadInput = { shape, cpuUtilization: Number(cpu) };
    if (shape !== 'constant') input.then = { cpuUtilization: Number(then) };
    if (shape === 'step' || shape === 'spike') input.afterSeconds = Number(seconds);
    if (shape === 'ramp') input.overSeconds = Number(seconds);
    try {
      await api.putLoad(cluster, service, input);
      onChange();
    } catch (caught) {
      setError(caught as Error);
    } finally {
      setBusy(false);
    }
  };
  const { current } = load;
  return (
    <form
      class="panel load"
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <h3>Simulated load</h3>
      <p class="small" data-field="load">
        {load.load ? <>Set: {describeLoad(load.load)}. </> : <>No load set: the tasks idle at 0 %. </>}
        Now <strong>{current.cpuUtilization} %</strong> of one task's CPU
        {current.perTask ? <>, shared by {current.runningTasks} RUNNING task{current.runningTasks === 1 ? '' : 's'}: about <strong>{current.perTask.cpuUtilization} %</strong> each.</> : ', and no task RUNNING to carry it.'}
      </p>
      <div class="inline">
        <label>
          Load shape
          <select value={shape} onChange={(event) => setShape(event.currentTarget.value as typeof shape)}>
            {SHAPES.map((option) => <option key={option.id} value={option.id}>{option.label}</option>)}
          </select>
        </label>
        <label>
          CPU load %
          <input type="number" min={0} max={100000} step="any" required value={cpu} onInput={(event) => setCpu(event.currentTarget.value)} aria-describedby="load-hint" />
        </label>
        {shape !== 'constant' && (
          <label>
            Then CPU %
            <input type="number" min={0} max={100000} step="any" required value={then} onInput={(event) => setThen(event.currentTarget.value)} />
          </label>
        )}
        {shape !== 'constant' && (
          <label>
            {shape === 'ramp' ? 'Over seconds' : 'After seconds'}
            <input type="number" min={shape === 'ramp' ? 1 : 0} step={1} required value={seconds} onInput={(event) => setSeconds(event.currentTarget.value)} />
          </label>
        )}
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Setting load…' : 'Set load'}</button>
      </div>
      <p id="load-hint" class="small muted">The CPU percent ONE task would show carrying the whole load; k RUNNING tasks show about 1/k of it each. Seconds are metric seconds.</p>
      <ErrorBanner error={error} />
    </form>
  );
};

const Activities = ({ scaling }: { scaling: ServiceScaling }) =>
  scaling.activities.length === 0 ? (
    <Empty>No scaling activity yet: set a load above the target and watch it scale out.</Empty>
  ) : (
    <ol class="events activities">
      {scaling.activities.map((activity) => (
        <li key={activity.ActivityId} data-status={activity.StatusCode}>
          <time dateTime={activity.StartTime}>{time(activity.StartTime)}</time> <Badge status={activity.StatusCode} /> {activity.Description}
          {activity.Details && <p class="small"><strong>{activity.Details}</strong></p>}
          <p class="small muted">Cause: {activity.Cause}</p>
          {activity.StatusMessage && <p class="small muted">{activity.StatusMessage}</p>}
          {activity.NotScaledReasons?.map((reason) => <p key={reason.Code} class="small muted">Not scaled: {reason.Code}</p>)}
        </li>
      ))}
    </ol>
  );

/** The service's auto scaling: its policies, the load (shown and set), the CPU chart and the activities. */
export const ScalingSection = ({ cluster, service }: { cluster: string; service: Service }) => {
  const view = usePoll(
    async () => {
      const [load, scaling, metrics] = await Promise.all([
        api.getLoad(cluster, service.serviceName),
        api.getScaling(cluster, service.serviceName),
        api.getMetrics(cluster, service.serviceName, CHART_MINUTES),
      ]);
      return { load, scaling, metrics };
    },
    `scaling:${cluster}/${service.serviceName}`,
    SCALING_POLL_MS,
  );
  if (!view.data) return <section aria-labelledby="scaling-heading"><h2 id="scaling-heading">Auto scaling</h2><ErrorBanner error={view.error} /></section>;
  const { load, scaling, metrics } = view.data;
  const tracking = cpuTarget(scaling);
  const why = explainScaling(scaling, metrics, service.desiredCount);
  const target = scaling.scalableTarget;
  return (
    <section class="scaling" aria-labelledby="scaling-heading">
      <h2 id="scaling-heading">Auto scaling</h2>
      <ErrorBanner error={view.error} />
      {target ? (
        <p data-field="scalable-target">
          Between <strong>{target.MinCapacity}</strong> and <strong>{target.MaxCapacity}</strong> tasks.{' '}
          {scaling.policies.map((policy) => (
            <span key={policy.PolicyName} class="policy">
              {policy.PolicyName}:{' '}
              {policy.TargetTrackingScalingPolicyConfiguration
                ? `target tracking, keeps ${policy.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification?.PredefinedMetricType ?? 'a metric'} at ${policy.TargetTrackingScalingPolicyConfiguration.TargetValue}`
                : 'step scaling'}
              .{' '}
            </span>
          ))}
          {scaling.scheduledActions.length > 0 && `${scaling.scheduledActions.length} scheduled action(s).`}
        </p>
      ) : (
        <Empty>
          No auto scaling on this service yet. Register it with the AWS CLI:{' '}
          <code>aws application-autoscaling register-scalable-target --service-namespace ecs --resource-id service/{cluster}/{service.serviceName} --scalable-dimension ecs:service:DesiredCount --min-capacity 1 --max-capacity 6</code>, then a
          target tracking policy (docs/autoscaling.md). The load and the CPU chart work without it.
        </Empty>
      )}
      {why && <p class="banner explain" role="status" data-field="scaling-why">{why}</p>}
      {scaling.notScaledBecause && (
        <p class="small" data-field="not-scaled">
          <strong>Last time it did not scale:</strong> {scaling.notScaledBecause}
        </p>
      )}
      <div class="forms">
        <div class="panel">
          <h3>CPU utilization</h3>
          <CpuChart metrics={metrics} target={tracking?.target} />
        </div>
        <LoadForm cluster={cluster} service={service.serviceName} load={load} onChange={view.refresh} />
      </div>
      <h3>Scaling activities</h3>
      <Activities scaling={scaling} />
    </section>
  );
};
