import * as z from 'zod';
import type { EpochMs } from './model';
import { lazySchema } from './validation';

/**
 * A service's simulated load: the CPU and memory percent ONE task would show if it carried the
 * whole load, so k RUNNING tasks each show about load / k. Set over REST
 * (PUT /v1/clusters/{cluster}/services/{service}/load) or, for the wire-only user, by the container
 * environment variables ECSBOX_CPU_LOAD / ECSBOX_MEMORY_LOAD of the service's task definition.
 *
 * Its shape says how it moves from the moment it was set: `constant`; `step` to `then` after
 * `afterSeconds`; `ramp` to `then` over `overSeconds`; `sine` between the levels and `then` with a
 * period of `periodSeconds` (a day by default); `spike` to `then` after `afterSeconds` for
 * `forSeconds`. Durations are in metric time: divided by the time scale on the fast profile.
 */
export const LOAD_SHAPES = ['constant', 'step', 'ramp', 'sine', 'spike'] as const;

const percent = () => z.number().min(0).max(100_000);
const seconds = () => z.number().int().min(0).max(31 * 86_400);

const levels = () => z.object({ cpuUtilization: percent(), memoryUtilization: percent().optional() }).strict();

export const loadInput = lazySchema(() =>
  z
    .object({
      shape: z.enum(LOAD_SHAPES).optional(),
      cpuUtilization: percent(),
      memoryUtilization: percent().optional(),
      then: levels().optional(),
      afterSeconds: seconds().optional(),
      overSeconds: seconds().min(1).optional(),
      forSeconds: seconds().min(1).optional(),
      periodSeconds: seconds().min(60).optional(),
    })
    .strict()
    .superRefine((load, context) => {
      const shape = load.shape ?? 'constant';
      if (shape !== 'constant' && !load.then) {
        context.addIssue({ code: 'custom', path: ['then'], message: `is required for the ${shape} shape` });
      }
    }),
);

export type LoadInput = z.output<ReturnType<typeof loadInput>>;

/** A load as stored: what was set, and when (its shape's clock starts then). */
export interface ServiceLoad extends LoadInput {
  setAt: EpochMs;
}

export interface LoadLevels {
  cpu: number;
  memory: number;
}

/** How many metric seconds pass per real second: 12 on the fast profile (a metric minute is 5 s), 1 on the realistic one. */
export const timeScaleOf = (profile: 'fast' | 'realistic') => (profile === 'fast' ? 12 : 1);

/**
 * The load's levels at `now`, `scale` metric seconds per real second. Memory defaults to nothing
 * (0 %) unless given.
 */
export const loadAt = (load: ServiceLoad, now: EpochMs, scale: number): LoadLevels => {
  const base = { cpu: load.cpuUtilization, memory: load.memoryUtilization ?? 0 };
  const then = load.then ? { cpu: load.then.cpuUtilization, memory: load.then.memoryUtilization ?? base.memory } : base;
  const elapsed = ((now - load.setAt) / 1000) * scale;
  const after = load.afterSeconds ?? 0;
  switch (load.shape ?? 'constant') {
    case 'constant':
      return base;
    case 'step':
      return elapsed >= after ? then : base;
    case 'spike':
      return elapsed >= after && elapsed < after + (load.forSeconds ?? 60) ? then : base;
    case 'ramp': {
      const fraction = Math.min(1, Math.max(0, elapsed / (load.overSeconds ?? 300)));
      return { cpu: base.cpu + (then.cpu - base.cpu) * fraction, memory: base.memory + (then.memory - base.memory) * fraction };
    }
    case 'sine': {
      // Starts at the first level, reaches `then` half a period later.
      const fraction = (1 - Math.cos((2 * Math.PI * elapsed) / (load.periodSeconds ?? 86_400))) / 2;
      return { cpu: base.cpu + (then.cpu - base.cpu) * fraction, memory: base.memory + (then.memory - base.memory) * fraction };
    }
  }
};

/** The load in force at `now`: the last one set at or before it (history newest first). */
export const loadInForce = (history: ServiceLoad[], now: EpochMs): ServiceLoad | undefined => history.find((load) => load.setAt <= now);

/** ecsbox keeps this many loads per service, so that past metrics still show the loads of their time. */
export const MAX_LOAD_HISTORY = 20;

/** The environment variables that set a load without the REST API (a constant one). */
export const LOAD_ENVIRONMENT = { cpu: 'ECSBOX_CPU_LOAD', memory: 'ECSBOX_MEMORY_LOAD' } as const;

/** The constant load a task definition's container environment asks for, if any. */
export const environmentLoad = (environment: Array<{ name?: string; value?: string }>): LoadInput | undefined => {
  const value = (name: string) => {
    const found = environment.find((entry) => entry.name === name)?.value;
    const number = found === undefined ? NaN : Number(found);
    return Number.isFinite(number) && number >= 0 ? number : undefined;
  };
  const cpu = value(LOAD_ENVIRONMENT.cpu);
  const memory = value(LOAD_ENVIRONMENT.memory);
  if (cpu === undefined && memory === undefined) return undefined;
  return { shape: 'constant', cpuUtilization: cpu ?? 0, ...(memory !== undefined ? { memoryUtilization: memory } : {}) };
};
