// `palisade version`: the package's version, and what the build recorded next to the compiled
// code (dist/build-info.json, written by hack/build-info.ts): the commit and the Kubernetes
// versions the tests ran against. Run from source there is no build, and it says so.
import { readFileSync } from 'node:fs';

interface BuildInfo {
  commit: string;
  testedKubernetes: string[];
}

const readJson = <T>(url: URL): T | undefined => {
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as T;
  } catch {
    return undefined;
  }
};

/** What `palisade version` prints, `-o json` as one object. */
export function versionInfo() {
  // src/cli and dist/cli both sit two levels below the package.
  const { version } = readJson<{ version: string }>(new URL('../../package.json', import.meta.url)) ?? { version: 'unknown' };
  const build = readJson<BuildInfo>(new URL('../build-info.json', import.meta.url));
  return { version, commit: build?.commit ?? 'none (run from source)', node: process.version, testedKubernetes: build?.testedKubernetes ?? [] };
}

export function formatVersion(info: ReturnType<typeof versionInfo>): string {
  return [
    `palisade ${info.version}`,
    `commit:             ${info.commit}`,
    `node:               ${info.node}`,
    `tested kubernetes:  ${info.testedKubernetes.join(', ') || 'unknown (run from source)'}`,
  ].join('\n');
}

/** The labels of palisade_build_info: what `palisade version` prints, in Prometheus' label style. */
export function buildInfoLabels(info: ReturnType<typeof versionInfo>): Record<string, string> {
  return { version: info.version, commit: info.commit, node_version: info.node, tested_kubernetes: info.testedKubernetes.join(',') };
}
