// /proc must keep its default masks (check_procMount_baseline.go, check_procMount_restricted.go).
// From v1.35 baseline waives this for a pod in a user namespace, and restricted takes over the
// unconditional check as procMount_restricted.
import { ALLOWED, containersOf, containersPhrase, forbidden, joinQuote, nameOf, sortedSet } from '../text.ts';
import type { CheckPod } from '../types.ts';

export const procMount: CheckPod = (_, spec) => {
  const bad = containersOf(spec).filter((container) => {
    const mount = container.securityContext?.procMount;
    return mount !== undefined && mount !== null && mount !== 'Default';
  });
  if (bad.length === 0) return ALLOWED;
  const types = sortedSet(bad.map((container) => container.securityContext!.procMount!));
  return forbidden('procMount', `${containersPhrase(bad.map(nameOf))} must not set securityContext.procMount to ${joinQuote(types)}`);
};
