// A suite's node with real packets (harness/dataplane): started before the describe's tests, and
// stopped after them, with everything it made, whatever happened.
import { clientFor } from '../../harness/client.ts';
import { Dataplane } from '../../harness/dataplane/dataplane.ts';
import type { KubeClient } from '../../src/runtime/client.ts';
import { sharedCluster } from './cluster.ts';

export interface SuiteDataplane {
  dataplane: Dataplane;
  client: KubeClient;
  kubeconfig: string;
}

/** Call inside a describe. `options` as Dataplane.start takes them. */
export function useDataplane(options: Parameters<typeof Dataplane.start>[2] = {}): SuiteDataplane {
  const suite = {} as SuiteDataplane;
  before(async function () {
    this.timeout(900_000); // the first build of harness/dataplane downloads its modules
    suite.kubeconfig = (await sharedCluster()).kubeconfig;
    suite.client = await clientFor(suite.kubeconfig);
    suite.dataplane = await Dataplane.start(suite.client, suite.kubeconfig, options);
  });
  after(async function () {
    this.timeout(60_000);
    await suite.dataplane?.stop();
    await suite.client?.close();
  });
  return suite;
}
