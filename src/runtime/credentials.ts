// Where the API server is and how to prove who we are. Read directly for the common cases
// (in-cluster service account, kubeconfig with certificates or a token): client-node's KubeConfig
// pulls in its whole generated API, about 85 MB of resident memory (measured here), so it is
// loaded only for what only it can do (exec plugins, auth providers).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { load } from 'js-yaml';

export interface Credentials {
  server: string;
  tls: { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized: boolean; servername?: string };
  /** Authentication headers for the next request (a token file is re-read: tokens rotate). */
  headers(): Promise<Record<string, string>>;
}

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

interface KubeconfigFile {
  'current-context'?: string;
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  clusters?: { name: string; cluster: Record<string, string | boolean | undefined> }[];
  users?: { name: string; user: Record<string, unknown> }[];
}

/** Credentials from `path`, else in-cluster, else $KUBECONFIG (its first file), else ~/.kube/config. */
export async function loadCredentials(path?: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials> {
  if (path) return fromKubeconfig(path);
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) return inCluster(env.KUBERNETES_SERVICE_HOST, env.KUBERNETES_SERVICE_PORT);
  return fromKubeconfig(env.KUBECONFIG?.split(':')[0] || join(homedir(), '.kube', 'config'));
}

function inCluster(host: string, port: string): Credentials {
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    server,
    tls: { ca: readFileSync(join(SERVICE_ACCOUNT, 'ca.crt')), rejectUnauthorized: true },
    headers: tokenFile(join(SERVICE_ACCOUNT, 'token')),
  };
}

/** Re-reads a token file at most once a minute: kubelet rotates projected service-account tokens. */
function tokenFile(file: string): Credentials['headers'] {
  let cached: { token: string; at: number } | undefined;
  return async () => {
    if (!cached || Date.now() - cached.at > 60_000) cached = { token: (await readFile(file, 'utf8')).trim(), at: Date.now() };
    return { authorization: `Bearer ${cached.token}` };
  };
}

async function fromKubeconfig(file: string): Promise<Credentials> {
  const config = load(await readFile(file, 'utf8')) as KubeconfigFile;
  const contextName = config['current-context'];
  const context = config.contexts?.find((c) => c.name === contextName)?.context;
  if (!context) throw new Error(`${file}: no current context`);
  const cluster = config.clusters?.find((c) => c.name === context.cluster)?.cluster;
  const user = config.users?.find((u) => u.name === context.user)?.user ?? {};
  if (!cluster || typeof cluster.server !== 'string') throw new Error(`${file}: context ${contextName} has no cluster server`);
  if (user.exec || user['auth-provider']) return viaClientNode(file);
  const base = dirname(file);
  const bytes = (fileKey: string, dataKey: string, from: Record<string, unknown>) => {
    const data = from[dataKey];
    if (typeof data === 'string') return Buffer.from(data, 'base64');
    const path = from[fileKey];
    return typeof path === 'string' ? readFileSync(isAbsolute(path) ? path : join(base, path)) : undefined;
  };
  const token = typeof user.token === 'string' ? user.token : undefined;
  const tokenPath = typeof user.tokenFile === 'string' ? user.tokenFile : undefined;
  return {
    server: cluster.server,
    tls: {
      ca: bytes('certificate-authority', 'certificate-authority-data', cluster),
      cert: bytes('client-certificate', 'client-certificate-data', user),
      key: bytes('client-key', 'client-key-data', user),
      rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
      servername: typeof cluster['tls-server-name'] === 'string' ? cluster['tls-server-name'] : undefined,
    },
    headers: token ? () => Promise.resolve({ authorization: `Bearer ${token}` })
      : tokenPath ? tokenFile(isAbsolute(tokenPath) ? tokenPath : join(base, tokenPath))
        : () => Promise.resolve({}),
  };
}

/** Exec plugins and auth providers, through client-node, loaded only for them. */
async function viaClientNode(file: string): Promise<Credentials> {
  const { HttpMethod, KubeConfig, RequestContext } = await import('@kubernetes/client-node');
  const config = new KubeConfig();
  config.loadFromFile(file);
  const tls: { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean; servername?: string } = {};
  await config.applyToHTTPSOptions(tls);
  const server = config.getCurrentCluster()?.server ?? '';
  return {
    server,
    tls: { ...tls, rejectUnauthorized: tls.rejectUnauthorized ?? true },
    headers: async (): Promise<Record<string, string>> => {
      const context = new RequestContext(server, HttpMethod.GET);
      await config.applySecurityAuthentication(context);
      const authorization = Object.entries(context.getHeaders()).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
      return authorization ? { authorization } : {};
    },
  };
}
