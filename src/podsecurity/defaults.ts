// The API server's defaulting that changes what Pod Security decides (k8s.io/kubernetes
// pkg/apis/core/v1 defaults.go, and the Pod strategy's PrepareForCreate): admission sees the
// defaulted object, a manifest does not.
import { ANNOTATION_PREFIX } from './checks/apparmor.ts';
import { VOLUME_SOURCES, sets } from './checks/volumes.ts';
import { containersOf } from './text.ts';
import type { Container, PodMetadata, PodSpec, Profile, Volume } from './types.ts';

/** SetDefaults_Volume: a volume with no source is an emptyDir (which restricted allows). */
const withSource = (volume: Volume): Volume => (VOLUME_SOURCES.some((source) => sets(volume, source)) ? volume : { ...volume, emptyDir: {} });

/** defaultHostNetworkPorts: under hostNetwork a container port is also a host port. */
const withHostPorts = (container: Container): Container =>
  container.ports ? { ...container, ports: container.ports.map((port) => ((port.hostPort ?? 0) === 0 ? { ...port, hostPort: port.containerPort ?? 0 } : port)) } : container;

/** ApparmorFieldForAnnotation, keeping only what ValidateAppArmorProfileField accepts. */
function profileOfAnnotation(value: string): Profile | undefined {
  if (value === 'unconfined') return { type: 'Unconfined' };
  if (value === 'runtime/default') return { type: 'RuntimeDefault' };
  const localhostProfile = value.startsWith('localhost/') ? value.slice('localhost/'.length) : '';
  return localhostProfile !== '' && localhostProfile.trim() === localhostProfile ? { type: 'Localhost', localhostProfile } : undefined;
}

const sameProfile = (a: Profile, b: Profile | null | undefined) => a.type === b?.type && (a.localhostProfile ?? undefined) === (b?.localhostProfile ?? undefined);

/**
 * applyAppArmorVersionSkew: a container's deprecated AppArmor annotation becomes its field when
 * the field is unset and the profile differs from the pod's; not on Windows.
 */
function withAppArmorFields(metadata: PodMetadata, spec: PodSpec): PodSpec {
  if (spec.os?.name === 'windows') return spec;
  const podProfile = spec.securityContext?.appArmorProfile;
  const copy = (container: Container): Container => {
    const annotation = metadata.annotations?.[`${ANNOTATION_PREFIX}${container.name ?? ''}`];
    const profile = typeof annotation === 'string' && !container.securityContext?.appArmorProfile ? profileOfAnnotation(annotation) : undefined;
    return profile && !sameProfile(profile, podProfile) ? { ...container, securityContext: { ...container.securityContext, appArmorProfile: profile } } : container;
  };
  if (!containersOf(spec).some((container) => copy(container) !== container)) return spec;
  return {
    ...spec,
    containers: spec.containers?.map(copy) ?? spec.containers,
    initContainers: spec.initContainers?.map(copy) ?? spec.initContainers,
    ephemeralContainers: spec.ephemeralContainers?.map(copy) ?? spec.ephemeralContainers,
  };
}

/**
 * `spec` as the API server stores it, without changing `spec`. `podObject`: the spec is a Pod's
 * own, not a workload's template: only Pods get the host ports default (SetDefaults_Pod) and the
 * AppArmor annotations copied to fields (the Pod strategy).
 */
export function withServerDefaults(metadata: PodMetadata, spec: PodSpec, podObject: boolean): PodSpec {
  const defaulted = spec.volumes ? { ...spec, volumes: spec.volumes.map(withSource) } : spec;
  if (!podObject) return defaulted;
  const withFields = withAppArmorFields(metadata, defaulted);
  if (spec.hostNetwork !== true) return withFields;
  return {
    ...withFields,
    containers: withFields.containers?.map(withHostPorts) ?? withFields.containers,
    initContainers: withFields.initContainers?.map(withHostPorts) ?? withFields.initContainers,
  };
}
