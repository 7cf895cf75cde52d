// A suite's Palisade operator: the CRDs installed and `palisade operator` running as its
// ServiceAccount (least-privilege.ts) for the whole describe, killed after it.
import { sharedCluster } from './cluster.ts';
import { installCrds } from '../../harness/crds.ts';
import { startPalisadeOperator } from './least-privilege.ts';
import { stopOperator, type OperatorProcess } from '../../harness/operator.ts';

export interface SuiteOperator {
  kubeconfig: string;
  /** Replace it to restart the operator within the suite; the last one is stopped after. */
  operator: OperatorProcess;
}

/** Call inside a describe; `setup` runs once the CRDs are in, before the operator starts. */
export function usePalisadeOperator(args: string[], setup: (kubeconfig: string) => Promise<unknown> = () => Promise.resolve()): SuiteOperator {
  const suite = { kubeconfig: '' } as SuiteOperator;
  before(async function () {
    this.timeout(600_000);
    suite.kubeconfig = (await sharedCluster()).kubeconfig;
    await installCrds(suite.kubeconfig);
    await setup(suite.kubeconfig);
    suite.operator = await startPalisadeOperator(await sharedCluster(), args);
  });
  after(async function () {
    if (suite.operator) await stopOperator(suite.operator, 'SIGKILL');
  });
  return suite;
}
