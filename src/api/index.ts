// Every kind Palisade serves, in the order crds/ lists them.
import { clusterRingfence } from './clusterringfence.ts';
import { customResourceDefinition } from './crd.ts';
import { keyRotationSchedule } from './keyrotationschedule.ts';
import { namespaceRingfence } from './namespaceringfence.ts';
import { podSecurityBaseline } from './podsecuritybaseline.ts';

export { API_VERSION, CATEGORY, GROUP, VERSION } from './crd.ts';

export const kinds = [namespaceRingfence, clusterRingfence, podSecurityBaseline, keyRotationSchedule];

export const customResourceDefinitions = () => kinds.map(customResourceDefinition);
