// Every controller the operator runs. The kinds' controllers join here as they are built.
import type { ControllerFactory } from '../runtime/operator.ts';

export const controllers: ControllerFactory = () => [];
