// The operator flags only KeyRotationSchedule reads: the runtime parses them (it knows no kind).
import type { ControllerFlag, Settings } from '../../runtime/operator.ts';

export const KEY_ROTATION_FLAGS: readonly ControllerFlag[] = [
  {
    name: 'apiserver-urls', env: 'PALISADE_APISERVER_URLS', placeholder: 'URL,...',
    description: 'the kube-apiservers whose loaded encryption config to check (default: the endpoints\n                                 of default/kubernetes)',
  },
  { name: 'image', env: 'PALISADE_IMAGE', placeholder: 'IMAGE', description: 'the operator\'s own image, which its Jobs run' },
];

export interface KeyRotationSettings {
  /** The kube-apiservers to observe; empty: the endpoints of default/kubernetes. */
  apiServerUrls: string[];
  /** The operator's own image, for the Jobs of HostPathJob delivery (set by the Deployment). */
  image: string;
}

export function keyRotationSettings(settings: Settings): KeyRotationSettings {
  return {
    apiServerUrls: (settings['apiserver-urls'] ?? '').split(',').map((url) => url.trim()).filter(Boolean),
    image: settings.image ?? '',
  };
}
