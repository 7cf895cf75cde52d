// The palisade command.
import { operatorConfig, OPERATOR_FLAGS, runOperator } from '../runtime/operator.ts';
import { controllers } from '../controllers/index.ts';

const USAGE = `Usage: palisade COMMAND [flags]

Commands:
  operator    run the Palisade operator

${OPERATOR_FLAGS}`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'operator') return runOperator(operatorConfig(rest), controllers);
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  console.error(`palisade: unknown command "${command}"\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (error: unknown) => {
  console.error(`palisade: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
});
