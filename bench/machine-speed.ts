// How fast the machine itself ran during a phase. Its 2 cores are shared with other machines' (no
// steal shows, yet the same requests cost every process a third more CPU in one phase than in the
// next): a fixed piece of work, run twice a second on this thread, and the CPU it took,
// timed by the thread's own clock so that waiting for a core does not count. The kernel counts
// that clock in ticks of 4 ms, so one probe of 5–9 ms reads 4, 8 or 12; the mean over a phase's
// probes is exact enough (a tick falls on a probe in proportion to its length): within 4 % over a
// 15 s phase, and a slower machine shows as a dearer probe. It costs 1–2 % of a core, in either phase.
import { readFileSync } from 'node:fs';
import { hash } from 'node:crypto';

const INTERVAL_MS = 500;
const SAMPLE = JSON.stringify({
  apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'probe', namespace: 'probe', labels: { probe: 'probe' } },
  spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{ from: [{ podSelector: {} }] }], egress: [{ to: [{ podSelector: {} }] }] },
});

/** Nanoseconds this thread has run on a core (the first field of its schedstat). */
const onCpuNs = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);

/** 5–9 ms of a core on this machine: what the control plane does most, parsing and writing JSON, and hashing. */
function work(): number {
  let length = 0;
  for (let i = 0; i < 2_000; i++) length += JSON.stringify(JSON.parse(SAMPLE)).length;
  return length + hash('sha256', SAMPLE.repeat(2_000)).length;
}

/** Starts probing; the function returned stops it and gives the mean CPU milliseconds per probe, if any ran. */
export function speedProbe(): () => number | undefined {
  let probes = 0;
  let ns = 0;
  const timer = setInterval(() => {
    const before = onCpuNs();
    work();
    ns += onCpuNs() - before;
    probes++;
  }, INTERVAL_MS).unref();
  return () => {
    clearInterval(timer);
    return probes ? +(ns / probes / 1e6).toFixed(2) : undefined;
  };
}
