// Which config each kube-apiserver has loaded, in its own words: the hash in
// apiserver_encryption_config_controller_last_config_info on its /metrics.
import { endpoints } from '../../kubernetes/resources.ts';
import type { KubeClient } from '../../runtime/client.ts';

export interface EndpointsObject {
  subsets?: { addresses?: { ip: string }[]; ports?: { name?: string; port: number }[] }[];
}

/** The apiservers: as configured, else every address behind default/kubernetes. */
export async function apiServerUrls(client: KubeClient, configured: string[]): Promise<string[]> {
  if (configured.length) return configured;
  return endpointUrls(await client.get<EndpointsObject>(endpoints, 'kubernetes', 'default'));
}

/** The URL of every address behind an Endpoints object, on its `https` port. */
export function endpointUrls({ subsets = [] }: EndpointsObject): string[] {
  return subsets.flatMap(({ addresses = [], ports = [] }) => {
    const port = ports.find((p) => p.name === 'https')?.port ?? ports[0]?.port ?? 443;
    return addresses.map(({ ip }) => `https://${ip.includes(':') ? `[${ip}]` : ip}:${port}`);
  });
}

const LAST_CONFIG = /^apiserver_encryption_config_controller_last_config_info\{[^}]*hash="(sha256:[0-9a-f]+)"[^}]*\} 1$/m;

/**
 * The config hash each apiserver reports loaded: undefined where it reports none or cannot be
 * reached, which holds the gate (and lets a stage time out and roll back) without failing the pass.
 */
export async function loadedConfigs(client: KubeClient, urls: string[]): Promise<(string | undefined)[]> {
  return Promise.all(urls.map(async (url) => LAST_CONFIG.exec(await client.getText(url, '/metrics').catch(() => ''))?.[1]));
}
