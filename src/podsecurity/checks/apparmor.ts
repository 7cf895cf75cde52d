// Baseline: AppArmor may be the runtime's default or a node-local profile, never unconfined; both
// the field (pod and containers) and the deprecated per-container annotations are read
// (check_appArmorProfile.go).
import { ALLOWED, containersOf, forbidden, goQuote, joinQuote, nameOf, pluralize, setters, sortedSet } from '../text.ts';
import type { CheckPod, PodMetadata, Profile } from '../types.ts';

export const ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

const allowedType = (profile: Profile): boolean => profile.type === 'RuntimeDefault' || profile.type === 'Localhost';
const allowedAnnotation = (value: string): boolean => value === '' || value === 'runtime/default' || value.startsWith('localhost/');

/** `key="value"` for each AppArmor annotation with a forbidden value, sorted. */
function forbiddenAnnotations(metadata: PodMetadata): string[] {
  return Object.entries(metadata.annotations ?? {})
    .map(([key, value]) => [key, value ?? ''] as const)
    .filter(([key, value]) => key.startsWith(ANNOTATION_PREFIX) && !allowedAnnotation(value))
    .map(([key, value]) => `${key}=${goQuote(value)}`)
    .sort();
}

export const appArmorProfile: CheckPod = (metadata, spec) => {
  const badValues: string[] = [];
  const refuses = (profile: Profile | null | undefined): boolean => {
    if (!profile || allowedType(profile)) return false;
    badValues.push(profile.type ?? '');
    return true;
  };
  const podBad = refuses(spec.securityContext?.appArmorProfile);
  const badContainers = containersOf(spec).filter((container) => refuses(container.securityContext?.appArmorProfile)).map(nameOf);
  const annotations = forbiddenAnnotations(metadata);
  const bad = [...setters(podBad, badContainers), ...(annotations.length > 0 ? [pluralize('annotation', 'annotations', annotations.length)] : [])];
  if (bad.length === 0) return ALLOWED;
  const values = [...sortedSet(badValues), ...annotations];
  return forbidden(
    pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', values.length),
    `${bad.join(' and ')} must not set AppArmor profile type to ${joinQuote(values)}`,
  );
};
