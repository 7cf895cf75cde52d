// Every controller the operator runs.
import type { ControllerFactory } from '../runtime/operator.ts';
import { namespaceRingfenceController } from './namespaceringfence/controller.ts';
import { keyRotationScheduleController } from './keyrotationschedule/controller.ts';
import { podSecurityBaselineControllers } from './podsecuritybaseline/controller.ts';

export const controllers: ControllerFactory = (context) => [
  namespaceRingfenceController(context), ...podSecurityBaselineControllers(context), keyRotationScheduleController(context),
];
