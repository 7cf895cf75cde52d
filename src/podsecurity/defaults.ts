// The API server's defaulting that changes what Pod Security decides (k8s.io/kubernetes
// pkg/apis/core/v1 defaults.go): admission sees the defaulted object, a manifest does not.
import { VOLUME_SOURCES, sets } from './checks/volumes.ts';
import type { Container, PodSpec, Volume } from './types.ts';

/** SetDefaults_Volume: a volume with no source is an emptyDir (which restricted allows). */
const withSource = (volume: Volume): Volume => (VOLUME_SOURCES.some((source) => sets(volume, source)) ? volume : { ...volume, emptyDir: {} });

/** defaultHostNetworkPorts: under hostNetwork a container port is also a host port. */
const withHostPorts = (container: Container): Container =>
  container.ports ? { ...container, ports: container.ports.map((port) => ((port.hostPort ?? 0) === 0 ? { ...port, hostPort: port.containerPort ?? 0 } : port)) } : container;

/**
 * `spec` as the API server stores it, without changing `spec`. `podObject`: the spec is a Pod's
 * own, not a workload's template: only Pods get the host ports default (SetDefaults_Pod).
 */
export function withServerDefaults(spec: PodSpec, podObject: boolean): PodSpec {
  const defaulted = spec.volumes ? { ...spec, volumes: spec.volumes.map(withSource) } : spec;
  if (!podObject || spec.hostNetwork !== true) return defaulted;
  return {
    ...defaulted,
    containers: defaulted.containers?.map(withHostPorts) ?? defaulted.containers,
    initContainers: defaulted.initContainers?.map(withHostPorts) ?? defaulted.initContainers,
  };
}
