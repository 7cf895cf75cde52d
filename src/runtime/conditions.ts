// status.conditions as the Kubernetes API conventions define them: one entry per type, with the
// generation it describes; lastTransitionTime moves only when the status itself changes.
import { apiTime } from './time.ts';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export type ConditionUpdate = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/** The conditions with `update` set for `generation`; the others are kept as they are, in order. */
export function setCondition(conditions: readonly Condition[] = [], update: ConditionUpdate, generation: number | undefined, now: Date = new Date()): Condition[] {
  const existing = conditions.find((condition) => condition.type === update.type);
  const next: Condition = {
    ...update,
    observedGeneration: generation,
    lastTransitionTime: existing && existing.status === update.status ? existing.lastTransitionTime : apiTime(now),
  };
  return existing
    ? conditions.map((condition) => (condition === existing ? next : condition))
    : [...conditions, next];
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((condition) => condition.type === type);
}
