// The palisade command.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { writeFileAtomically } from '../runtime/files.ts';
import { operatorConfig, operatorFlags, runOperator } from '../runtime/operator.ts';
import { CONTROLLER_FLAGS, controllers } from '../controllers/index.ts';
import { UsageError } from './usage.ts';

const USAGE = `Usage: palisade COMMAND [flags]

Commands:
  operator            run the Palisade operator
  render -f FILE|DIR  check every Palisade resource in FILE or DIR (repeatable) as the API server would
                      (its schema and CEL rules, YAML read as kubectl reads it), and print the objects
                      the NamespaceRingfences would produce, with the operator's own render code
  write-encryption-config --from FILE --to PATH
                      replace PATH with FILE's content atomically (temp file, fsync, rename) and print
                      its sha256, as kube-apiserver reports it: what KeyRotationSchedule's Jobs run

Operator ${operatorFlags(CONTROLLER_FLAGS)}`;

async function renderCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { filename: { type: 'string', short: 'f', multiple: true } }, strict: true });
  if (!values.filename?.length) throw new UsageError('render needs -f FILE|DIR');
  // Loaded here: the schemas it validates with cost the operator memory it has no use for.
  const { renderFiles } = await import('./render.ts');
  process.stdout.write(renderFiles(values.filename));
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

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'operator') return runOperator(operatorConfig(rest, process.env, CONTROLLER_FLAGS), controllers);
  if (command === 'render') return renderCommand(rest);
  if (command === 'write-encryption-config') return writeEncryptionConfigCommand(rest);
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  console.error(`palisade: unknown command "${command}"\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (error: unknown) => {
  console.error(`palisade: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1);
});
