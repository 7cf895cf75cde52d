// Seccomp: baseline forbids unconfined profiles, read from the alpha annotations before v1.19 and
// from the field since; restricted (since v1.19, overriding baseline) also requires a profile on
// every container, its own or the pod's (check_seccompProfile_baseline.go, check_seccompProfile_restricted.go).
import { ALLOWED, containersOf, containersPhrase, forbidden, goQuote, joinQuote, nameOf, pluralize, setters, sortedSet } from '../text.ts';
import type { CheckPod, PodSpec, Profile } from '../types.ts';

const POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';

const validType = (profile: Profile): boolean => profile.type === 'RuntimeDefault' || profile.type === 'Localhost';
const validAnnotation = (value: string): boolean => value === 'runtime/default' || value === 'docker/default' || value.startsWith('localhost/');

export const seccompProfileBaselineV1_0: CheckPod = (metadata, spec) => {
  const annotations = metadata.annotations ?? {};
  const keys = [POD_ANNOTATION, ...containersOf(spec).map((container) => CONTAINER_ANNOTATION_PREFIX + nameOf(container))];
  const refused = sortedSet(
    keys.filter((key) => Object.hasOwn(annotations, key) && !validAnnotation(annotations[key] ?? '')).map((key) => `${key}=${goQuote(annotations[key] ?? '')}`),
  );
  if (refused.length === 0) return ALLOWED;
  return forbidden('seccompProfile', `forbidden ${pluralize('annotation', 'annotations', refused.length)} ${refused.join(', ')}`);
};

/** Who sets seccompProfile.type to what: the bad setters and values, and the containers that set none. */
function profiles(spec: PodSpec): { bad: string[]; badValues: string[]; unset: string[] } {
  const badValues: string[] = [];
  const refuses = (profile: Profile): boolean => {
    if (validType(profile)) return false;
    badValues.push(profile.type ?? '');
    return true;
  };
  const podProfile = spec.securityContext?.seccompProfile;
  const podBad = podProfile ? refuses(podProfile) : false;
  const podValid = podProfile ? !podBad : false;
  const badContainers: string[] = [];
  const unset: string[] = [];
  for (const container of containersOf(spec)) {
    const profile = container.securityContext?.seccompProfile;
    if (profile) {
      if (refuses(profile)) badContainers.push(nameOf(container));
    } else if (!podValid) {
      unset.push(nameOf(container));
    }
  }
  return { bad: setters(podBad, badContainers), badValues: sortedSet(badValues), unset };
}

const badPhrase = (bad: string[], badValues: string[]): string =>
  `${bad.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(badValues)}`;

export const seccompProfileBaselineV1_19: CheckPod = (_, spec) => {
  const { bad, badValues } = profiles(spec);
  return bad.length > 0 ? forbidden('seccompProfile', badPhrase(bad, badValues)) : ALLOWED;
};

export const seccompProfileRestricted: CheckPod = (_, spec) => {
  const { bad, badValues, unset } = profiles(spec);
  if (bad.length > 0) return forbidden('seccompProfile', badPhrase(bad, badValues));
  if (unset.length === 0) return ALLOWED;
  return forbidden('seccompProfile', `pod or ${containersPhrase(unset)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`);
};
