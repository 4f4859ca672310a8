import type { EpochMs } from '../../domain/model';
import { parseSchedule, type CronFields, type ScheduledAction } from '../../domain/scaling';

/** A scheduled action due now: the action and the moment it was due. */
export interface ScheduledFiring {
  action: ScheduledAction;
  at: EpochMs;
}

const MINUTE_MS = 60_000;
/** A cron schedule is looked at over this much of the past at most (the controller runs every minute). */
const CRON_LOOKBACK_MS = 2 * 3_600_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock fields of `at` in `timeZone`: year, month (1-12), day, hour, minute, second, weekday (0 = Sunday). */
const wallClock = (at: EpochMs, timeZone: string) => {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((part) => [part.type, part.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(parts.weekday),
  };
};

/** The instant when the wall clock of `timeZone` shows these fields (the first, across a DST change). */
export const instantOf = (fields: number[], timeZone: string): EpochMs => {
  const [year, month, day, hour, minute, second] = fields;
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const offsetAt = (at: EpochMs) => {
    const wall = wallClock(at, timeZone);
    return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second) - at;
  };
  const first = asUtc - offsetAt(asUtc);
  return asUtc - offsetAt(first);
};

const cronMatches = (fields: CronFields, at: EpochMs, timeZone: string) => {
  const wall = wallClock(at, timeZone);
  return (
    fields.minutes.has(wall.minute) &&
    fields.hours.has(wall.hour) &&
    fields.months.has(wall.month) &&
    (fields.daysOfMonth === undefined || fields.daysOfMonth.has(wall.day)) &&
    (fields.daysOfWeek === undefined || fields.daysOfWeek.has(wall.weekday)) &&
    (fields.years === undefined || fields.years.has(wall.year))
  );
};

/** The last moment in (from, to] the action was due, if any. */
export const lastDue = (action: ScheduledAction, from: EpochMs, to: EpochMs): EpochMs | undefined => {
  const schedule = parseSchedule(action.Schedule);
  const timeZone = action.Timezone ?? 'UTC';
  let due: EpochMs | undefined;
  if (schedule?.kind === 'at') {
    const at = instantOf(schedule.fields, timeZone);
    due = at > from && at <= to ? at : undefined;
  } else if (schedule?.kind === 'rate') {
    const base = action.StartTime ?? action.CreationTime;
    const count = Math.floor((to - base) / schedule.everyMs);
    const at = base + count * schedule.everyMs;
    due = count >= 1 && at > from ? at : undefined;
  } else if (schedule?.kind === 'cron') {
    const start = Math.max(from, to - CRON_LOOKBACK_MS);
    for (let at = Math.floor(to / MINUTE_MS) * MINUTE_MS; at > start; at -= MINUTE_MS) {
      if (cronMatches(schedule.fields, at, timeZone)) {
        due = at;
        break;
      }
    }
  }
  if (due === undefined) return undefined;
  if ((action.StartTime !== undefined && due < action.StartTime) || (action.EndTime !== undefined && due > action.EndTime)) return undefined;
  return due;
};

/**
 * The scheduled action due since the controller last looked (`from`), up to `now`; when several
 * were, the one due last (its bounds are the ones in force). One already fired at that moment is not
 * due again.
 */
export const scheduledFiring = (
  actions: ScheduledAction[],
  fired: Record<string, EpochMs>,
  from: EpochMs,
  now: EpochMs,
): ScheduledFiring | undefined => {
  let latest: ScheduledFiring | undefined;
  for (const action of actions) {
    const at = lastDue(action, from, now);
    if (at === undefined || fired[action.ScheduledActionName] === at) continue;
    if (!latest || at > latest.at) latest = { action, at };
  }
  return latest;
};
