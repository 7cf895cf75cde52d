// The operator flag only ClusterRingfence reads: the ClusterNetworkPolicy priorities Palisade owns.
// Other Admin policies of the cluster (a platform team's own, another tool's) keep out of the band,
// since two policies of one priority that select the same pod are evaluated in no defined order.
import type { ControllerFlag, Settings } from '../../runtime/operator.ts';
import type { PriorityBand } from './render.ts';

const FLAG = 'cluster-network-policy-priorities';
const DEFAULT_BAND = '100-399';

export const CLUSTER_RINGFENCE_FLAGS: readonly ControllerFlag[] = [{
  name: FLAG, env: 'PALISADE_CLUSTER_NETWORK_POLICY_PRIORITIES', placeholder: 'FIRST-LAST',
  description: `the ClusterNetworkPolicy priorities (0-1000) ClusterRingfences may take (default ${DEFAULT_BAND}):\n`
    + '                                 four Admin ones and one Baseline one per spec.priority slot',
}];

/** The band of the flag; throws naming the flag when it is none. */
export function priorityBand(settings: Settings): PriorityBand {
  const text = settings[FLAG] || DEFAULT_BAND;
  const match = /^(\d{1,4})-(\d{1,4})$/.exec(text);
  const [first, last] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!(first <= last && last <= 1000)) throw new Error(`--${FLAG} must be FIRST-LAST with 0 <= FIRST <= LAST <= 1000, not "${text}"`);
  return { first, last };
}
