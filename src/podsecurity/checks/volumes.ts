// Volumes: baseline forbids hostPath; restricted (which overrides that check) allows only the
// sources that stay inside the pod's own storage (check_hostPathVolumes.go, check_restrictedVolumes.go).
import { ALLOWED, forbidden, joinQuote, pluralize, sortedSet } from '../text.ts';
import type { CheckPod, Volume } from '../types.ts';

const RESTRICTED_ALLOWED = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret'];

/** The other sources, in the order the module names the first one a volume sets. */
const RESTRICTED_FORBIDDEN = [
  'hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi', 'glusterfs', 'rbd', 'flexVolume', 'cinder', 'cephfs',
  'flocker', 'fc', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'storageos',
];

/** Every source of k8s.io/api's VolumeSource: a volume setting none of them is defaulted to emptyDir. */
export const VOLUME_SOURCES = [...RESTRICTED_ALLOWED, ...RESTRICTED_FORBIDDEN];

/** A Go pointer field: set unless absent or null. */
export const sets = (volume: Volume, source: string): boolean => volume[source] !== undefined && volume[source] !== null;

const volumeName = (volume: Volume): string => volume.name ?? '';

export const hostPathVolumes: CheckPod = (_, spec) => {
  const bad = (spec.volumes ?? []).filter((volume) => sets(volume, 'hostPath')).map(volumeName);
  return bad.length > 0 ? forbidden('hostPath volumes', `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)}`) : ALLOWED;
};

export const restrictedVolumes: CheckPod = (_, spec) => {
  const bad = (spec.volumes ?? []).filter((volume) => !RESTRICTED_ALLOWED.some((source) => sets(volume, source)));
  if (bad.length === 0) return ALLOWED;
  const types = sortedSet(bad.map((volume) => RESTRICTED_FORBIDDEN.find((source) => sets(volume, source)) ?? 'unknown'));
  return forbidden(
    'restricted volume types',
    `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad.map(volumeName))} ${pluralize('uses', 'use', bad.length)} ` +
      `${pluralize('restricted volume type', 'restricted volume types', types.length)} ${joinQuote(types)}`,
  );
};
