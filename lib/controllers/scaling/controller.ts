import { randomUUID } from 'node:crypto';
import { sameData } from '../../domain/equality';
import type { EpochMs } from '../../domain/model';
import type { ControllerState, ScalableTarget, ScalingActivity } from '../../domain/scaling';
import type { Deps } from '../../deps';
import { ConflictException } from '../../errors';
import type { StructuredLogger } from '../../log';
import { evaluatedAlarm, MetricSource } from '../../usecases/cloudwatch';
import { setDesiredCount } from '../../usecases/scaling';
import { plan, type ObservedAlarm } from './plan';

export interface ScalingPassResult {
  targets: number;
  scaled: number;
}

/** The state without the moment scheduled actions were last looked at, which moves every pass. */
const remembered = ({ scheduledCheckedAt: _checked, ...state }: ControllerState) => state;

/**
 * One pass of the scaling controller over one account's scalable targets: observe (each policy's
 * alarms, evaluated now, and the service's desired count), plan (pure), act. Level-triggered: what
 * it does follows from what it sees, so a pass that is repeated, or runs beside another, does the
 * same. The decision is claimed first (the controller's state and any new bounds, written at the
 * target's version), then the desired count is set through UpdateService's use case: a pass that
 * lost the claim to another does nothing. A pass with nothing to do writes nothing.
 */
export const scalingPass = async (deps: Deps, now: EpochMs, log: StructuredLogger): Promise<ScalingPassResult> => {
  const targets = await deps.scaling.list();
  if (targets.length === 0) return { targets: 0, scaled: 0 };
  const source = new MetricSource(deps, now);
  const alarms = await deps.metrics.alarms();
  let scaled = 0;
  for (const target of targets) {
    try {
      if (await reconcileTarget(deps, source, target, alarms, now)) scaled += 1;
    } catch (error) {
      // One target's failure (its service deleted meanwhile, a throttled read) holds up no other.
      log.warn('scaling target failed', { clusterName: target.clusterName, serviceName: target.serviceName, error: error as Error });
    }
  }
  return { targets: targets.length, scaled };
};

const reconcileTarget = async (
  deps: Deps,
  source: MetricSource,
  target: ScalableTarget,
  alarms: Awaited<ReturnType<Deps['metrics']['alarms']>>,
  now: EpochMs,
): Promise<boolean> => {
  const actionsOf = new Set(target.policies.map((policy) => policy.PolicyARN));
  const observedAlarms: ObservedAlarm[] = [];
  for (const alarm of alarms.filter((candidate) => candidate.ActionsEnabled && candidate.AlarmActions.some((action) => actionsOf.has(action)))) {
    const evaluated = await evaluatedAlarm(deps, source, alarm);
    observedAlarms.push({ alarm: evaluated.alarm, state: evaluated.alarm.StateValue, values: evaluated.values });
  }
  const stored = await deps.services.get(target.clusterName, target.serviceName);
  const desiredCount = stored?.service.status === 'ACTIVE' ? stored.service.desiredCount : undefined;
  const decision = plan(target, { desiredCount, alarms: observedAlarms, timeScale: deps.timeScale }, now);

  const stateChanged = !sameData(remembered(decision.state), remembered(target.controller ?? {}));
  if (!decision.capacity && !decision.bounds && !decision.notScaled && !stateChanged) return false;
  const claimed: ScalableTarget = {
    ...target,
    ...(decision.bounds ? { MinCapacity: decision.bounds.MinCapacity, MaxCapacity: decision.bounds.MaxCapacity } : {}),
    controller: decision.state,
    version: target.version + 1,
  };
  try {
    await deps.scaling.save(claimed);
  } catch (error) {
    // Another pass (or a user's change) got there first: the next pass decides afresh.
    if (error instanceof ConflictException) return false;
    throw error;
  }
  if (decision.bounds && !decision.capacity) {
    await recordActivity(deps, target, {
      Description: `Setting min capacity to ${decision.bounds.MinCapacity} and max capacity to ${decision.bounds.MaxCapacity}`,
      Cause: decision.bounds.cause,
      Details: `scheduled bounds [${decision.bounds.MinCapacity}, ${decision.bounds.MaxCapacity}]; the desired count ${desiredCount ?? '-'} is within them.`,
    }, now);
  }
  if (decision.notScaled) {
    await recordActivity(deps, target, {
      Description: 'Did not scale.',
      Cause: 'a scaling policy wanted to scale, but did not',
      Details: decision.notScaled.details,
      NotScaledReasons: [{ Code: decision.notScaled.code, MinCapacity: claimed.MinCapacity, MaxCapacity: claimed.MaxCapacity, CurrentCapacity: desiredCount }],
    }, now);
  }
  if (!decision.capacity) return false;
  await setDesiredCount(deps, target, decision.capacity.to, decision.capacity.cause, decision.capacity.details);
  return true;
};

const recordActivity = (deps: Deps, target: ScalableTarget, activity: Pick<ScalingActivity, 'Description' | 'Cause' | 'Details' | 'NotScaledReasons'>, now: EpochMs) =>
  deps.scaling.updateActivities(target.clusterName, target.serviceName, (current) => [
    { ActivityId: randomUUID(), StartTime: now, EndTime: now, StatusCode: 'Successful', ...activity },
    ...current,
  ]);
