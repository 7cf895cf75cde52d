// `palisade scan`: manifests (or a live cluster, read-only) checked against Pod Security as
// the API server's admission judges it and the risks the anchors flag, printed for people or CI.
import { parseArgs } from 'node:util';
import { isVersion } from '../podsecurity/index.ts';
import type { ScanOptions } from '../scan/context.ts';
import { jsonReport } from '../scan/report/json.ts';
import { junitReport } from '../scan/report/junit.ts';
import { sarifReport } from '../scan/report/sarif.ts';
import { textReport } from '../scan/report/text.ts';
import { scan } from '../scan/scan.ts';
import { clusterSubjects, InputError, subjectsOf } from '../scan/subjects.ts';
import { isPalisadeResource } from '../scan/validate.ts';
import { SEVERITIES, type ScanResult, type Severity } from '../scan/types.ts';
import { errorMessage } from '../runtime/errors.ts';
import { readInputs } from './inputs.ts';
import { oneOf, UsageError } from './usage.ts';
import { versionInfo } from './version.ts';

const FORMATS = {
  text: textReport,
  json: jsonReport,
  sarif: (result: ScanResult) => sarifReport(result, { version: versionInfo().version }),
  junit: junitReport,
} as const;

const LEVELS = ['auto', 'baseline', 'restricted'] as const;
const FAIL_ON = [...SEVERITIES, 'never'] as const;

const failsAt = (severity: Severity, failOn: (typeof FAIL_ON)[number]) =>
  failOn !== 'never' && SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(failOn);

/** The subjects and what is around them: the files, with the cluster's namespaces when --kubeconfig is given too; or the cluster itself. */
async function inputs(files: string[], kubeconfig: string | undefined, options: ScanOptions, namespace: string | undefined) {
  const subjects = readInputs(files).flatMap(({ name, text }) => subjectsOf(name, text, options.defaultNamespace));
  // As kubectl apply says "no objects passed": a scan of nothing proves nothing.
  if (files.length > 0 && subjects.length === 0) throw new UsageError(`no objects in ${files.join(', ')}`);
  if (kubeconfig === undefined) return { subjects, around: [] };
  // Loaded only for a cluster: the client is most of a scan's start-up otherwise.
  const { clusterObjects, CONTEXT_RESOURCES, SCANNED_RESOURCES } = await import('./cluster-objects.ts');
  // Around files: the namespaces they name alone. The cluster itself: one namespace, or all.
  const named = [...new Set(subjects.flatMap(({ ref }) => (ref.kind === 'Namespace' ? [ref.name] : ref.namespace ? [ref.namespace] : [])))];
  const scope = files.length > 0 ? { namespaces: named, required: false } : namespace ? { namespaces: [namespace], required: true } : { all: true as const };
  const live = await clusterObjects(kubeconfig, files.length > 0 ? CONTEXT_RESOURCES : SCANNED_RESOURCES, scope);
  for (const skipped of live.skipped) console.error(`palisade: not scanned: ${skipped}`);
  return files.length > 0 ? { subjects, around: live.objects } : { subjects: clusterSubjects(live.objects), around: [] };
}

export async function scanCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv, strict: true, options: {
      filename: { type: 'string', short: 'f', multiple: true }, kubeconfig: { type: 'string' }, level: { type: 'string' }, version: { type: 'string' },
      namespace: { type: 'string', short: 'n' }, output: { type: 'string', short: 'o' }, 'fail-on': { type: 'string' },
    },
  });
  if (!values.filename?.length && !values.kubeconfig) throw new UsageError('scan needs -f FILE|DIR|- or --kubeconfig PATH');
  const format = oneOf('-o', values.output, Object.keys(FORMATS) as (keyof typeof FORMATS)[], 'text');
  const failOn = oneOf('--fail-on', values['fail-on'], FAIL_ON, 'error');
  const version = values.version ?? 'latest';
  if (!isVersion(version)) throw new UsageError(`--version ${version}: use latest or v1.N`);
  const options: ScanOptions = { level: oneOf('--level', values.level, LEVELS, 'auto'), version, defaultNamespace: values.namespace ?? 'default' };
  let result: ScanResult;
  try {
    const { subjects, around } = await inputs(values.filename ?? [], values.kubeconfig, options, values.namespace);
    const validatePalisade = subjects.some(({ value, live }) => !live && isPalisadeResource(value))
      ? (await import('../scan/palisade-resources.ts')).validatePalisadeResource : undefined;
    result = scan(subjects, options, validatePalisade, around);
  } catch (error) {
    // Exit 1 means findings: a scan that could not run (a file unreadable, the cluster unreachable) is 2.
    throw error instanceof UsageError ? error : new UsageError(error instanceof InputError ? error.message : `cannot scan: ${errorMessage(error)}`);
  }
  process.stdout.write(FORMATS[format](result));
  const failing = result.findings.some((finding) => finding.suppressed === undefined && failsAt(finding.severity, failOn));
  return failing ? 1 : 0;
}
