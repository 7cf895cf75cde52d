// Every controller the operator runs.
import type { ControllerFactory } from '../runtime/operator.ts';
import { namespaceRingfenceController } from './namespaceringfence/controller.ts';
import { clusterRingfenceController } from './clusterringfence/controller.ts';
import { CLUSTER_RINGFENCE_FLAGS } from './clusterringfence/settings.ts';
import { keyRotationScheduleController } from './keyrotationschedule/controller.ts';
import { podSecurityBaselineControllers } from './podsecuritybaseline/controller.ts';
import { KEY_ROTATION_FLAGS } from './keyrotationschedule/settings.ts';

/** The flags the controllers read, beyond the runtime's own. */
export const CONTROLLER_FLAGS = [...KEY_ROTATION_FLAGS, ...CLUSTER_RINGFENCE_FLAGS];

export const controllers: ControllerFactory = (context) => [
  namespaceRingfenceController(context), clusterRingfenceController(context), ...podSecurityBaselineControllers(context), keyRotationScheduleController(context),
];
