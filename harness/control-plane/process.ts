// One control-plane binary run as a child process, its output in a log file. Attached processes
// get the parent-death signal (setpriv --pdeathsig), so even a SIGKILLed test run leaves no orphan;
// detached ones outlive the command that started them (`make cluster-up`) and are stopped by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  detached: boolean;
}

export class ManagedProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  readonly spec: ProcessSpec;

  constructor(spec: ProcessSpec) {
    this.spec = spec;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const log = await open(this.spec.logFile, 'a');
    const { command, args } = this.spec.detached
      ? this.spec
      : { command: 'setpriv', args: ['--pdeathsig', 'KILL', '--', this.spec.command, ...this.spec.args] };
    const child = spawn(command, args, { stdio: ['ignore', log.fd, log.fd], detached: this.spec.detached });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    try {
      await once(child, 'spawn');
    } finally {
      await log.close();
    }
    if (this.spec.detached) child.unref();
    this.child = child;
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child?.kill('SIGTERM');
    const stopped = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!stopped) {
      this.child?.kill('SIGKILL');
      await this.exited;
    }
  }

  /** Stops on the spot, synchronously: for process exit handlers, where nothing can be awaited. */
  killNow(): void {
    if (this.running) this.child?.kill('SIGKILL');
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops a detached process started by an earlier command, knowing only its pid. */
export async function stopPid(pid: number, graceMs = 10_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; waited < graceMs && isAlive(pid); waited += 100) await sleep(100);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}
