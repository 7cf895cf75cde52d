// Pairs of a Palisade phase and a direct phase (the same requests with no operator), and their
// median: the machine's 2 cores are shared, and its drift moves a single phase by 20 %, so one
// pair says less than the median of several.
import { median } from './alternating.ts';
import type { timed } from './operator.ts';

export type TimedPhase = Awaited<ReturnType<typeof timed>>;

const totalCpu = ({ cpuSeconds }: TimedPhase) => Object.values(cpuSeconds).reduce((sum, seconds) => sum + seconds, 0);

/**
 * A pair's figures: its two times, the CPU all processes spent in each (on 2 saturated cores, time
 * follows it) and each process's, the CPU the machine had stolen in each and how fast it ran
 * (bench/machine-speed.ts) when it was probed, and what kube-apiserver did in each when it was read.
 */
export const pair = (palisade: TimedPhase, direct: TimedPhase) => ({
  palisadeSeconds: palisade.seconds, directSeconds: direct.seconds, ratio: +(palisade.seconds / direct.seconds).toFixed(2),
  cpuRatio: +(totalCpu(palisade) / totalCpu(direct)).toFixed(2), operatorCpuSeconds: palisade.cpuSeconds.operator,
  cpuSeconds: { palisade: palisade.cpuSeconds, direct: direct.cpuSeconds },
  stealSeconds: { palisade: palisade.stealSeconds, direct: direct.stealSeconds },
  ...palisade.probeMs !== undefined && { probeMs: { palisade: palisade.probeMs, direct: direct.probeMs } },
  ...palisade.apiserver && { apiserver: { palisade: palisade.apiserver, direct: direct.apiserver } },
});
export type Pair = ReturnType<typeof pair>;

/** The median of the pairs' time ratios. */
export const medianRatio = (pairs: Pair[]): number => median(pairs.map(({ ratio }) => ratio));
