// Restricted: containers must run as non-root (runAsNonRoot since v1.0, runAsUser≠0 since v1.23),
// each by its own setting or the pod's (check_runAsNonRoot.go, check_runAsUser.go).
import { ALLOWED, containersOf, containersPhrase, forbidden, nameOf, setters } from '../text.ts';
import type { CheckPod } from '../types.ts';

export const runAsNonRoot: CheckPod = (_, spec) => {
  const podSetting = spec.securityContext?.runAsNonRoot;
  const podBad = podSetting === false;
  const explicitlyBad: string[] = [];
  const implicitlyBad: string[] = [];
  for (const container of containersOf(spec)) {
    const setting = container.securityContext?.runAsNonRoot;
    if (setting === false) explicitlyBad.push(nameOf(container));
    else if (setting !== true && podSetting !== true) implicitlyBad.push(nameOf(container));
  }
  const bad = setters(podBad, explicitlyBad);
  if (bad.length > 0) return forbidden('runAsNonRoot != true', `${bad.join(' and ')} must not set securityContext.runAsNonRoot=false`);
  if (implicitlyBad.length === 0) return ALLOWED;
  return forbidden('runAsNonRoot != true', `pod or ${containersPhrase(implicitlyBad)} must set securityContext.runAsNonRoot=true`);
};

export const runAsUser: CheckPod = (_, spec) => {
  const rootContainers = containersOf(spec).filter((container) => container.securityContext?.runAsUser === 0).map(nameOf);
  const bad = setters(spec.securityContext?.runAsUser === 0, rootContainers);
  return bad.length > 0 ? forbidden('runAsUser=0', `${bad.join(' and ')} must not set runAsUser=0`) : ALLOWED;
};
