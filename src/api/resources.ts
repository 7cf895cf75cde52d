// The REST endpoints of Palisade's own kinds, for the controllers, the CLI and the benchmarks.
import type { Resource } from '../runtime/client.ts';
import { GROUP, VERSION } from './crd.ts';

const palisade = (kind: string, resource: string, namespaced: boolean): Resource => ({ group: GROUP, version: VERSION, kind, resource, namespaced });

export const ringfences = palisade('NamespaceRingfence', 'namespaceringfences', true);
export const clusterRingfences = palisade('ClusterRingfence', 'clusterringfences', false);
export const baselines = palisade('PodSecurityBaseline', 'podsecuritybaselines', false);
export const schedules = palisade('KeyRotationSchedule', 'keyrotationschedules', false);
