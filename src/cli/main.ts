#!/usr/bin/env node
// The palisade command (bin/palisade.js runs it compiled; kubectl-palisade is the same as a
// kubectl plugin). Each subcommand has its own usage, printed by `palisade COMMAND --help`.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { errorMessage } from '../runtime/errors.ts';
import { writeFileAtomically } from '../runtime/files.ts';
import { formatObjects, outputFormat, OUTPUT_FLAG } from './output.ts';
import { UsageError } from './usage.ts';
import { buildInfoLabels, formatVersion, versionInfo } from './version.ts';

// Each command loads its code when it runs: the operator's (its client, controllers and schemas)
// would make every other command start several times slower.
interface Command {
  /** One line for the list of commands. */
  summary: string;
  usage: string | (() => Promise<string>);
  run(argv: string[]): Promise<number>;
}

const operatorModules = () => Promise.all([import('../runtime/operator.ts'), import('../controllers/index.ts')]);

const COMMANDS: Record<string, Command> = {
  operator: {
    summary: 'run the Palisade operator',
    usage: async () => {
      const [{ operatorFlags }, { CONTROLLER_FLAGS }] = await operatorModules();
      return `Usage: palisade operator [flags]\n\nRuns the Palisade operator: its controllers, leader election, /metrics, /healthz and /readyz.\n\n${operatorFlags(CONTROLLER_FLAGS)}`;
    },
    run: async (argv) => {
      const [{ operatorConfig, runOperator }, { CONTROLLER_FLAGS, controllers }] = await operatorModules();
      return runOperator(operatorConfig(argv, process.env, CONTROLLER_FLAGS), controllers, buildInfoLabels(versionInfo()));
    },
  },
  render: {
    summary: 'check Palisade resources as the API server would, and print what the ringfences produce',
    usage: `Usage: palisade render -f FILE|DIR|- [-f ...] [-o yaml|json]

Checks every Palisade resource in the files as the API server would (its schema and CEL rules, YAML
read as kubectl reads it), and prints the NetworkPolicies and RoleBindings the NamespaceRingfences
would produce and the ClusterNetworkPolicies (v1beta1, the operator's default priority band) of the
ClusterRingfences, over the Namespaces in the same files, with the operator's own render code. A
refusal names the file, the document and the field, and the exit code is 2.

Flags:
  -f, --filename FILE|DIR|-  a file, a directory of .yaml/.yml/.json files, or - for stdin (repeatable)
${OUTPUT_FLAG}`,
    run: renderCommand,
  },
  scan: {
    summary: 'check manifests against Pod Security as admission judges it, and for other risks (text, json, SARIF, JUnit)',
    usage: `Usage: palisade scan [-f FILE|DIR|- ...] [--kubeconfig PATH] [--level auto|baseline|restricted]
                     [--version latest|v1.N] [-n NAMESPACE] [-o text|json|sarif|junit] [--fail-on error|warning|never]

Checks Pods and every workload with a pod template (Deployment, StatefulSet, DaemonSet, ReplicaSet,
Job, CronJob, ReplicationController) against the Pod Security Standards exactly as the API
server's admission does (rules pss/<CheckID>, its own messages), and flags what else makes a
manifest risky (rules palisade/<name>): images, Secrets in the environment, limits, the runtime
socket, token automount, Services on node ports, RBAC, namespaces without a default deny or an
enforce label. YAML is read as kubectl reads it; List kinds are opened.

With --kubeconfig and no -f, it scans the live cluster instead (read-only, in pages), leaving out
what controllers made from a template it scans (ReplicaSets, their Pods); with -f too, it scans
the files and reads the cluster's namespaces, baselines and policies around them.

Suppress a finding in the manifest, with a reason, on the object or its pod template:
  palisade.dev/scan-ignore: "pss/hostPorts=<why>; palisade/image-without-digest=<why>"

Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it; 2 bad input.

Flags:
  -f, --filename FILE|DIR|-  a file, a directory of .yaml/.yml/.json files, or - for stdin (repeatable)
      --kubeconfig PATH      a cluster to scan, or to read around the files
      --level LEVEL          auto (the default): the namespace's enforce label, else the
                             PodSecurityBaseline in the input that selects it, else restricted;
                             or baseline or restricted for every namespace
      --version VERSION      the Pod Security version when the level is not a namespace's own
                             (default latest)
  -n, --namespace NAMESPACE  files: the namespace of objects that name none (default "default");
                             a cluster: scan that namespace alone (default all)
  -o, --output FORMAT        text (the default), json, sarif (SARIF 2.1.0) or junit (JUnit XML)
      --fail-on SEVERITY     error (the default), warning, or never`,
    run: async (argv) => (await import('./scan.ts')).scanCommand(argv),
  },
  'can-reach': {
    summary: 'say whether one workload (or address) may connect to another, and which policy rule decides',
    usage: `Usage: palisade can-reach FROM TO (-f FILE|DIR|- ... | --kubeconfig PATH) [--port N] [--protocol TCP|UDP|SCTP]
                          [--explain] [-n NAMESPACE] [-o text|json]

FROM and TO are namespace/pod, namespace/kind/name (shop/deployment/web; kubectl's kind names
and short names) or an IP address (the pod with that IP, else an address outside the cluster).
The answer follows the full NetworkPolicy semantics: each pod isolated per direction by the
policies that select it, the union of their rules, named ports resolved against the destination.
NamespaceRingfences in the files are checked as the API server would and rendered with the
operator's own code first. With --kubeconfig, the live cluster is read (read-only); with -f too,
the files are taken as applied over it. What the model leaves out (other policy kinds, pods on
the host network) is printed on stderr.

Without --port it prints every connection FROM may open to TO.

Exit codes: 0 allowed; 1 denied, or undetermined (only an ipBlock holding a pod's own IP would
allow it, which NetworkPolicy leaves to the network plugin); 2 bad input.

Flags:
  -f, --filename FILE|DIR|-  a file, a directory of .yaml/.yml/.json files, or - for stdin (repeatable)
      --kubeconfig PATH      the cluster to read
  -p, --port N               the destination port
      --protocol PROTOCOL    TCP (the default), UDP or SCTP
      --explain              for each direction, the policy and rule that allowed it (a ringfence's
                             spec field for the policies it generated), or that the pod is isolated
                             and no rule allowed it
  -n, --namespace NAMESPACE  the namespace of objects in the files that name none (default "default")
  -o, --output FORMAT        text (the default) or json`,
    run: async (argv) => (await import('./can-reach.ts')).canReachCommand(argv),
  },
  map: {
    summary: 'print what can reach what (text, json, mermaid, dot, svg), by namespace (--isolation), or what a change opens (--diff)',
    usage: `Usage: palisade map (-f FILE|DIR|- ... | --kubeconfig PATH) [-o text|json|mermaid|dot|svg] [--focus WORKLOAD|NAMESPACE]
       palisade map --isolation (-f ... | --kubeconfig PATH) [-o text|json]
       palisade map --diff BEFORE AFTER [-o text|json]
       palisade map --diff --kubeconfig PATH -f AFTER... [-o text|json]

The connectivity map: for every pair of workloads (Pods and pod-template workloads, one per
owner), and between workloads and the addresses outside the pods (as CIDR groups that every rule
treats alike), the connections allowed, by the same evaluator as can-reach. NamespaceRingfences
in the files are rendered with the operator's own code first. SVG is drawn in-process (no
Graphviz needed).

--isolation folds the map to namespaces: which namespace can reach which other at all, and
which reach none and are reached by none: a tenant check.

--diff prints exactly what a change opens (+) and closes (-): between two files or directories
(two revisions' rendered output, say), or between the cluster and the files applied over it.
It exits 1 when the change opens anything, so that a pull request's check can stop it.

Flags:
  -f, --filename FILE|DIR|-  a file, a directory of .yaml/.yml/.json files, or - for stdin (repeatable)
      --kubeconfig PATH      the cluster to read (read-only)
  -o, --output FORMAT        text (the default), json, mermaid, dot or svg
      --focus WHAT           only the connections of one workload (namespace/kind/name) or namespace
      --isolation            namespaces, not workloads
      --diff                 compare BEFORE with AFTER
  -n, --namespace NAMESPACE  the namespace of objects in the files that name none (default "default")`,
    run: async (argv) => (await import('./map.ts')).mapCommand(argv),
  },
  'write-encryption-config': {
    summary: 'replace a file atomically and print its sha256: what KeyRotationSchedule\'s Jobs run',
    usage: `Usage: palisade write-encryption-config --from FILE --to PATH

Replaces PATH with FILE's content atomically (temp file, fsync, rename) and prints its sha256, as
kube-apiserver reports it. The Jobs of KeyRotationSchedule's HostPathJob delivery run this.`,
    run: writeEncryptionConfigCommand,
  },
  version: {
    summary: 'print the version, the commit, Node and the Kubernetes versions tested with',
    usage: `Usage: palisade version [-o yaml|json]\n\nFlags:\n${OUTPUT_FLAG}`,
    run: versionCommand,
  },
};

const USAGE = `Usage: palisade COMMAND [flags]

Commands:
${Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(25)}${summary}`).join('\n')}

palisade COMMAND --help prints a command's flags. As a kubectl plugin: kubectl palisade COMMAND.`;

async function renderCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { filename: { type: 'string', short: 'f', multiple: true }, output: { type: 'string', short: 'o' } }, strict: true });
  if (!values.filename?.length) throw new UsageError('render needs -f FILE|DIR|-');
  const format = outputFormat(values.output);
  // Loaded here: the schemas it validates with cost the operator memory it has no use for.
  const { renderFiles } = await import('./render.ts');
  process.stdout.write(renderFiles(values.filename, format));
  return 0;
}

async function writeEncryptionConfigCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { from: { type: 'string' }, to: { type: 'string' } }, strict: true });
  if (!values.from || !values.to) throw new UsageError('write-encryption-config needs --from FILE and --to PATH');
  const text = await readFile(values.from, 'utf8');
  await writeFileAtomically(values.to, text);
  console.log(`wrote ${values.to} sha256:${createHash('sha256').update(text).digest('hex')}`);
  return 0;
}

function versionCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { output: { type: 'string', short: 'o' } }, strict: true });
  const info = versionInfo();
  const format = values.output === undefined ? undefined : outputFormat(values.output);
  process.stdout.write(format ? formatObjects([info], format, { list: false }) : `${formatVersion(info)}\n`);
  return Promise.resolve(0);
}

const wantsHelp = (argv: string[]) => argv.includes('--help') || argv.includes('-h');

const usageOf = async (command: Command): Promise<string> => (typeof command.usage === 'string' ? command.usage : command.usage());

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version') return versionCommand([]);
  if (name === undefined || name === 'help' || wantsHelp([name])) {
    const topic = name === 'help' ? COMMANDS[rest[0] ?? ''] : undefined;
    console.log(topic ? await usageOf(topic) : USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`palisade: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  if (wantsHelp(rest)) {
    console.log(await usageOf(command));
    return 0;
  }
  return command.run(rest);
}

/**
 * Exits once stdout has taken everything written to it: on a pipe, writes are asynchronous, and
 * exiting at once would cut a large output (`palisade map -o json | jq`) short.
 */
const exit = (code: number) => process.stdout.write('', () => process.exit(code));

main(process.argv.slice(2)).then(exit, (error: unknown) => {
  console.error(`palisade: ${errorMessage(error)}`);
  exit(error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1);
});
