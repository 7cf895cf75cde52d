// KeyRotationSchedule's metrics, read from the cache at each scrape (every replica exports them):
// when each schedule last finished a rotation, when its keys are due for the next one, and when
// the rotation under way started. Alerts compare them with time(): keys older than the schedule
// allows, and a rotation that does not finish.
import { FieldError } from '../../api/field-error.ts';
import type { Metrics } from '../../runtime/metrics.ts';
import type { Schedule } from './plan.ts';
import { nextRotation } from './schedule.ts';

export const LAST_SUCCESS = 'palisade_key_rotation_last_success_timestamp_seconds';
export const DUE = 'palisade_key_rotation_due_timestamp_seconds';
export const STARTED = 'palisade_key_rotation_started_timestamp_seconds';

interface Series {
  labels: { name: string };
  value: number;
}

const seconds = (time: string | undefined) => {
  const ms = time === undefined ? NaN : Date.parse(time);
  return Number.isNaN(ms) ? undefined : ms / 1000;
};

const series = (schedules: readonly Schedule[], value: (schedule: Schedule) => number | undefined): Series[] =>
  schedules.flatMap((schedule) => {
    const found = value(schedule);
    return found === undefined ? [] : [{ labels: { name: schedule.metadata.name }, value: found }];
  });

/** status.lastRotationTime of each schedule that finished one. */
export const lastSuccess = (schedules: readonly Schedule[]) => series(schedules, ({ status }) => seconds(status?.lastRotationTime));

/**
 * When each schedule's keys are due for rotation: the first scheduled time after its last finished
 * rotation (or its creation). Unlike status.nextRotationTime, which a rollback moves to the next
 * scheduled time, only a finished rotation moves it: past it, the keys are older than the schedule
 * allows. None while suspended, nor for a schedule that does not parse (its Ready condition says so).
 */
export const due = (schedules: readonly Schedule[]) => series(schedules, ({ metadata, spec, status }) => {
  const since = status?.lastRotationTime ?? metadata.creationTimestamp;
  if (spec.suspend || since === undefined) return undefined;
  try {
    return nextRotation(spec, new Date(since)).getTime() / 1000;
  } catch (error) {
    if (error instanceof FieldError) return undefined;
    throw error;
  }
});

/** status.rotation.startedAt of each schedule with a rotation under way. */
export const started = (schedules: readonly Schedule[]) => series(schedules, ({ status }) => seconds(status?.rotation?.startedAt));

export function registerRotationMetrics(metrics: Metrics, schedules: () => Schedule[]): void {
  metrics.scrapedGauge(LAST_SUCCESS, 'When a KeyRotationSchedule last finished a rotation (status.lastRotationTime).', ['name'], () => lastSuccess(schedules()));
  metrics.scrapedGauge(DUE, 'When a KeyRotationSchedule\'s keys are due for rotation: its first scheduled time after the last finished rotation (a rollback does not move it); none while suspended.',
    ['name'], () => due(schedules()));
  metrics.scrapedGauge(STARTED, 'When the rotation under way of a KeyRotationSchedule started (status.rotation.startedAt); none between rotations.', ['name'], () => started(schedules()));
}
