// The operator's logger: a line at a level not logged is not even read (winston would stamp and
// serialize it before dropping it), for the logger and its children alike; the rest is logged.
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { createLogger } from '../../src/runtime/logging.ts';

describe('createLogger', function () {
  it('does not read a line below its level, from the logger or a child', function () {
    const logger = createLogger('info');
    let read = 0;
    const meta = { get name() { read++; return 'x'; } };
    logger.debug('reconciled', meta);
    logger.child({ controller: 'c' }).debug('reconciled', meta);
    expect(read).to.equal(0);
  });

  it('logs its level and above as JSON lines, with the child\'s fields', function () {
    const script = `import { createLogger } from ${JSON.stringify(new URL('../../src/runtime/logging.ts', import.meta.url).pathname)};
      const logger = createLogger('info');
      logger.debug('hidden'); logger.child({ controller: 'c' }).info('shown', { name: 'n' }); logger.warn('warned');`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map(({ level, message, controller, name }) => ({ level, message, controller, name }))).to.deep.equal([
      { level: 'info', message: 'shown', controller: 'c', name: 'n' }, { level: 'warn', message: 'warned', controller: undefined, name: undefined },
    ]);
  });
});
