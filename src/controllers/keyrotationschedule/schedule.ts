// When the next rotation is due: the cron schedule read in its time zone, after the last one.
import { CronExpressionParser } from 'cron-parser';
import type { KeyRotationScheduleSpec } from '../../api/keyrotationschedule.ts';
import { FieldError } from '../../api/field-error.ts';
import { errorMessage } from '../../runtime/errors.ts';

export function nextRotation(spec: KeyRotationScheduleSpec, after: Date): Date {
  const tz = spec.timeZone ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw new FieldError('spec.timeZone', `"${tz}" is not an IANA time zone`);
  }
  try {
    return CronExpressionParser.parse(spec.schedule, { currentDate: after, tz, strict: false }).next().toDate();
  } catch (error) {
    throw new FieldError('spec.schedule', `"${spec.schedule}" is not a valid cron schedule: ${errorMessage(error)}`);
  }
}
