// The one control plane of a test run: started by the first test that asks for it, stopped by
// mocha's global teardown (and by the processes' parent-death signal if mocha itself dies).
import { ControlPlane } from '../../harness/control-plane/control-plane.ts';
import { OPERATOR_USER } from './least-privilege.ts';

let started: Promise<ControlPlane> | undefined;

export function sharedCluster(): Promise<ControlPlane> {
  started ??= ControlPlane.start({ auditedUsers: [OPERATOR_USER] });
  return started;
}

export async function mochaGlobalTeardown(): Promise<void> {
  // A control plane that failed to start has stopped itself, and its tests reported why.
  const plane = await started?.catch(() => undefined);
  await plane?.stop();
}
