import { loadAt, loadInForce, type LoadInput, type ServiceLoad } from '../domain/load';
import { serviceNameOf } from '../domain/arn';
import type { Deps } from '../deps';
import { ServiceNotFoundException } from '../errors';
import { requireActiveCluster } from './clusters';
import { MetricSource } from './cloudwatch';

/** The ACTIVE or DRAINING service a REST path names, in an ACTIVE cluster. */
export const requireLiveService = async (deps: Deps, clusterReference: string, serviceReference: string) => {
  const cluster = await requireActiveCluster(deps, clusterReference);
  const serviceName = serviceNameOf(deps.scope, serviceReference);
  const stored = serviceName === undefined ? undefined : await deps.services.get(cluster.clusterName, serviceName);
  if (!stored || stored.service.status === 'INACTIVE') throw new ServiceNotFoundException();
  return stored.service;
};

/** The load, what it is now, and how the RUNNING tasks share it (what CloudWatch shows for them). */
const presentLoad = async (deps: Deps, clusterName: string, serviceName: string, history: ServiceLoad[] | undefined) => {
  const now = deps.clock.now();
  const source = new MetricSource(deps, now);
  const load = history ? loadInForce(history, now) : await source.environmentLoad(clusterName, serviceName);
  const levels = load ? loadAt(load, now, deps.timeScale) : { cpu: 0, memory: 0 };
  const runningTasks = await source.runningTasks(clusterName, serviceName);
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    load: load ? { ...load, setAt: load.setAt === 0 ? undefined : load.setAt } : null,
    current: {
      cpuUtilization: round(levels.cpu),
      memoryUtilization: round(levels.memory),
      runningTasks,
      perTask: runningTasks === 0 ? null : { cpuUtilization: round(levels.cpu / runningTasks), memoryUtilization: round(levels.memory / runningTasks) },
      timeScale: deps.timeScale,
    },
  };
};

export const setServiceLoad = async (deps: Deps, clusterReference: string, serviceReference: string, input: LoadInput) => {
  const service = await requireLiveService(deps, clusterReference, serviceReference);
  const history = await deps.metrics.setLoad(service.clusterName, service.serviceName, { ...input, setAt: deps.clock.now() });
  await deps.scalingTrigger.wake();
  return presentLoad(deps, service.clusterName, service.serviceName, history);
};

export const getServiceLoad = async (deps: Deps, clusterReference: string, serviceReference: string) => {
  const service = await requireLiveService(deps, clusterReference, serviceReference);
  const history = (await deps.metrics.loads(service.clusterName)).get(service.serviceName);
  return presentLoad(deps, service.clusterName, service.serviceName, history);
};
