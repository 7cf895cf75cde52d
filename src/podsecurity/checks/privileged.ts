// Privileged containers (baseline) and privilege escalation (restricted, since v1.8)
// (check_privileged.go, check_allowPrivilegeEscalation.go).
import { ALLOWED, containersOf, containersPhrase, forbidden, nameOf } from '../text.ts';
import type { CheckPod } from '../types.ts';

export const privileged: CheckPod = (_, spec) => {
  const bad = containersOf(spec).filter((container) => container.securityContext?.privileged === true).map(nameOf);
  return bad.length > 0 ? forbidden('privileged', `${containersPhrase(bad)} must not set securityContext.privileged=true`) : ALLOWED;
};

/** Unset counts as allowed escalation: every container must say false. */
export const allowPrivilegeEscalation: CheckPod = (_, spec) => {
  const bad = containersOf(spec).filter((container) => container.securityContext?.allowPrivilegeEscalation !== false).map(nameOf);
  if (bad.length === 0) return ALLOWED;
  return forbidden('allowPrivilegeEscalation != false', `${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false`);
};
