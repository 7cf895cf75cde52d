// Runs main.go here, the official Pod Security evaluator, over many pods in one process. The binary is
// built once per source and Go version and kept in ~/.cache/palisade (harness/go-binary.ts); its first
// build downloads k8s.io/pod-security-admission and k8s.io/api from the Go module proxy (go.sum pins them).
import { spawnSync } from 'node:child_process';
import type { Failure, Level, PodLike } from '../../src/podsecurity/index.ts';
import { cachedGoBinary } from '../go-binary.ts';

export interface OracleRequest {
  level: Level;
  version: string;
  /** A whole Pod: apiVersion, kind, metadata, spec. */
  pod: PodLike & { apiVersion: 'v1'; kind: 'Pod' };
  /** Evaluate the spec as a workload's pod template (no Pod-only defaults). */
  template?: boolean;
}

/** The oracle's binary, built first if this source and Go version have none yet. */
export const pssOracleBinary = (): string => cachedGoBinary(import.meta.dirname, 'pss-oracle');

/** The failed checks of each request, in order, as admission lists them. */
export function pssOracle(requests: readonly OracleRequest[]): Failure[][] {
  const input = requests.map((request) => `${JSON.stringify(request)}\n`).join('');
  const run = spawnSync(pssOracleBinary(), { input, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (run.error || run.status !== 0) throw new Error(`the Pod Security oracle failed: ${run.error?.message ?? run.stderr}`);
  const answers = run.stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { failures?: Failure[]; error?: string });
  if (answers.length !== requests.length) throw new Error(`the Pod Security oracle answered ${answers.length} of ${requests.length} pods`);
  return answers.map((answer, index) => {
    if (answer.error !== undefined) throw new Error(`the Pod Security oracle refused pod ${index} (${JSON.stringify(requests[index])}): ${answer.error}`);
    return answer.failures ?? [];
  });
}
