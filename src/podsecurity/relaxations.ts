// The two conditions under which newer policy versions waive a check: a Windows pod (v1.25, for
// checks whose fields the API rejects on Windows anyway) and a pod in a user namespace
// (`hostUsers: false`, v1.35, where root and an unmasked /proc are the namespace's, not the node's).
import { ALLOWED } from './text.ts';
import type { CheckPod, PodSpec } from './types.ts';

export const isWindows = (spec: PodSpec): boolean => spec.os?.name === 'windows';

export const inUserNamespace = (spec: PodSpec): boolean => spec.hostUsers === false;

/** `check`, except that a pod of which `waived` holds is allowed. */
export const unless =
  (waived: (spec: PodSpec) => boolean, check: CheckPod): CheckPod =>
  (metadata, spec) =>
    waived(spec) ? ALLOWED : check(metadata, spec);
