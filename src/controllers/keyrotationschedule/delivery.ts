// How the EncryptionConfiguration reaches the apiservers, and what Palisade knows of the file.
// File: the operator runs beside the apiserver and writes and reads the file itself.
// HostPathJob: the operator keeps the file's content in a Secret of the keyStore namespace (its
// record of the config) and has a Job on each control-plane node write it through hostPath with
// `palisade write-encryption-config`. Either way the apiservers' reported hash is the proof.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { jobs, nodes, secrets } from '../../kubernetes/resources.ts';
import { apply } from '../../runtime/apply.ts';
import { ApiError, type KubeClient } from '../../runtime/client.ts';
import { writeFileAtomically } from '../../runtime/files.ts';
import { SCHEDULE_LABEL } from './keys.ts';

export interface Delivery {
  /** The config as last delivered ('' when there is none). */
  read(): Promise<string>;
  write(text: string): Promise<void>;
}

export const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';
export const CONFIG_KEY = 'encryption-config.yaml';
const MOUNT = '/palisade';
const HOST = '/host';

export function fileDelivery(path: string, inCharge: () => boolean): Delivery {
  return {
    read: () => readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    }),
    // A leader that lost its lease mid-pass must not replace what the new leader wrote.
    write: (text) => writeFileAtomically(path, text, inCharge),
  };
}

export const configRecordName = (schedule: string) => `${schedule}-encryption-config`;

export function hostPathJobDelivery(client: KubeClient, options: { schedule: string; namespace: string; path: string; image: string }): Delivery {
  const { schedule, namespace, path, image } = options;
  const record = configRecordName(schedule);
  return {
    async read() {
      const secret = await client.find<{ data?: Record<string, string> }>(secrets, record, namespace);
      return Buffer.from(secret?.data?.[CONFIG_KEY] ?? '', 'base64').toString('utf8');
    },
    async write(text) {
      const recorded = {
        apiVersion: 'v1', kind: 'Secret',
        metadata: { name: record, namespace, labels: { [SCHEDULE_LABEL]: schedule } },
        data: { [CONFIG_KEY]: Buffer.from(text).toString('base64') },
      };
      await apply(client, secrets, recorded, { force: true });
      const hash = createHash('sha256').update(text).digest('hex').slice(0, 10);
      const controlPlane = (await client.list(nodes, { labelSelector: CONTROL_PLANE_LABEL })).items ?? [];
      if (controlPlane.length === 0) throw new Error(`no node is labelled ${CONTROL_PLANE_LABEL}: nowhere to write the config`);
      for (const node of controlPlane) {
        const job = writerJob({ schedule, namespace, path, image, record, node: node.metadata.name, hash });
        await client.create(jobs, job).catch((error: unknown) => {
          // The same content for the same node: the Job is already there.
          if (!(error instanceof ApiError && error.code === 409)) throw error;
        });
      }
    },
  };
}

/** A Job pinned to one node that writes the recorded config to `path` on that node, atomically. */
export function writerJob(o: { schedule: string; namespace: string; path: string; image: string; record: string; node: string; hash: string }) {
  const nodeHash = createHash('sha256').update(o.node).digest('hex').slice(0, 6);
  return {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: { name: `${o.schedule.slice(0, 30)}-config-${o.hash}-${nodeHash}`, namespace: o.namespace, labels: { [SCHEDULE_LABEL]: o.schedule } },
    spec: {
      backoffLimit: 6,
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels: { [SCHEDULE_LABEL]: o.schedule } },
        spec: {
          nodeName: o.node,
          restartPolicy: 'OnFailure',
          automountServiceAccountToken: false,
          // Control-plane nodes are tainted; this pod must run there and nowhere else.
          tolerations: [{ operator: 'Exists' }],
          securityContext: { runAsUser: 0, runAsGroup: 0, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: 'write',
            image: o.image,
            args: ['write-encryption-config', '--from', `${MOUNT}/${CONFIG_KEY}`, '--to', `${HOST}/${basename(o.path)}`],
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            volumeMounts: [{ name: 'config', mountPath: MOUNT, readOnly: true }, { name: 'target', mountPath: HOST }],
            resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '128Mi' } },
          }],
          volumes: [
            { name: 'config', secret: { secretName: o.record, defaultMode: 0o400 } },
            { name: 'target', hostPath: { path: dirname(o.path), type: 'DirectoryOrCreate' } },
          ],
        },
      },
    },
  };
}
