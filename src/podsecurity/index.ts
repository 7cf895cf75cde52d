// Pod Security Standards, evaluated exactly as k8s.io/pod-security-admission v0.37.2 does.
export { evaluate, forbiddenDetail, type Failure, type PodLike, type Policy, type Verdict } from './evaluate.ts';
export { CHECKS, NEWEST_MINOR } from './registry.ts';
export { checksAt } from './selection.ts';
export { checkOfReason } from './reasons.ts';
export { isVersion, minorOf } from './version.ts';
export type { Level, PodMetadata, PodSpec } from './types.ts';
