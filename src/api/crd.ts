// Turns a kind's schemas into its CustomResourceDefinition. The CRD objects built here are the
// single source of crds/*.yaml (hack/generate-crds.ts) and of what the tests install.
import type { TSchema } from 'typebox';
import type { CelRule } from './schema.ts';

export const GROUP = 'palisade.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const CATEGORY = 'palisade';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface KindDefinition {
  kind: string;
  plural: string;
  shortNames: string[];
  scope: 'Namespaced' | 'Cluster';
  description: string;
  spec: TSchema;
  status: TSchema;
  /** Columns between NAME and AGE in `kubectl get`; the Ready condition's reason and message follow them with `-o wide`. */
  printerColumns: PrinterColumn[];
  /** CEL rules on the whole object, for rules that involve metadata. */
  objectRules?: CelRule[];
  /** The condition types status reports, and what True means: for the reference. */
  conditions: { type: string; meaning: string }[];
}

const readyCondition = (field: string) => `.status.conditions[?(@.type=="Ready")].${field}`;

export const readyColumn: PrinterColumn = { name: 'Ready', type: 'string', jsonPath: readyCondition('status') };

/** Why a resource is (not) Ready, shown by `kubectl get -o wide` (priority 1), as cert-manager's Status column shows it. */
export const readyDetailColumns: PrinterColumn[] = [
  { name: 'Reason', type: 'string', jsonPath: readyCondition('reason'), priority: 1, description: 'The reason of the Ready condition.' },
  { name: 'Message', type: 'string', jsonPath: readyCondition('message'), priority: 1, description: 'The message of the Ready condition.' },
];

const ageColumn: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

/** Plain JSON: drops TypeBox's symbol-keyed bookkeeping, keeping exactly what the API server sees. */
function plain(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}

export function customResourceDefinition(def: KindDefinition) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${def.plural}.${GROUP}`, labels: { 'app.kubernetes.io/part-of': 'palisade' },
      // ArgoCD syncs the CRDs in an earlier wave than the resources of their kinds.
      annotations: { 'argocd.argoproj.io/sync-wave': '-10' },
    },
    spec: {
      group: GROUP,
      scope: def.scope,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.kind.toLowerCase(),
        shortNames: def.shortNames,
        categories: [CATEGORY],
      },
      versions: [{
        name: VERSION,
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [...def.printerColumns, ...readyDetailColumns, ageColumn],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            description: def.description,
            required: ['spec'],
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: { type: 'object' },
              spec: plain(def.spec),
              status: plain(def.status),
            },
            ...(def.objectRules ? { 'x-kubernetes-validations': def.objectRules } : {}),
          },
        },
      }],
    },
  };
}
