/**
 * One pod's container as a process group: the kubelet's stop signal goes to its PID 1 only (the
 * command), SIGKILL and SIGSTOP/SIGCONT to the whole group, as the container runtime acts on the
 * container's cgroup; when PID 1 exits, whatever it left behind is killed, as a container's PID
 * namespace is torn down. The reaper kills the group if the drill dies first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Reaper } from './reaper.js';
import type { ContainerCommand } from './run-line.js';

/** How a container ended. */
export interface ContainerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  atMs: number;
}

/** A running container; see the module comment. */
export interface ContainerProcess {
  readonly pid: number;
  readonly exited: Promise<ContainerExit>;
  /** True until PID 1 has exited. */
  readonly running: boolean;
  /** Sends `signal` to PID 1 (the kubelet's stop signal). */
  signal(signal: NodeJS.Signals): void;
  /** SIGKILLs every process of the container. */
  kill(): void;
  /** SIGSTOPs every process (a machine that stops answering). */
  pause(): void;
  /** SIGCONTs every process. */
  resume(): void;
  /** The last lines it wrote on standard error. */
  stderrTail(): string;
}

/** Options of {@link startContainer}. */
export interface ContainerOptions {
  env: Readonly<Record<string, string>>;
  reaper: Reaper;
  /** Called with each line of standard output (services log there; lameduck's JSON events). */
  onStdoutLine(line: string): void;
  /** Lines of standard error kept for error messages. */
  stderrLines?: number;
}

/** Starts `command` as a container. Never throws: a command that cannot start exits 127. */
export function startContainer(
  command: ContainerCommand,
  options: ContainerOptions,
): ContainerProcess {
  const keep = options.stderrLines ?? 20;
  const stderr: string[] = [];
  let running = true;
  const proc: ChildProcess = spawn(command.command, [...command.args], {
    env: options.env,
    // Its own process group: signals to the group reach every process of the container.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = proc.pid ?? -1;
  if (pid > 0) options.reaper.watch(pid);
  const exited = new Promise<ContainerExit>((resolve) => {
    proc.once('error', (error) => {
      stderr.push(`cannot start ${command.command}: ${error.message}`);
      running = false;
      resolve({ code: 127, signal: null, atMs: performance.now() });
    });
    proc.once('exit', (code, signal) => {
      running = false;
      // The container's PID namespace goes with PID 1: nothing it started survives.
      if (pid > 0) {
        killGroup(pid, 'SIGKILL');
        options.reaper.forget(pid);
      }
      resolve({ code, signal, atMs: performance.now() });
    });
  });
  if (proc.stdout !== null) {
    createInterface({ input: proc.stdout }).on('line', (line) => options.onStdoutLine(line));
  }
  if (proc.stderr !== null) {
    createInterface({ input: proc.stderr }).on('line', (line) => {
      stderr.push(line);
      if (stderr.length > keep) stderr.shift();
    });
  }
  return {
    pid,
    exited,
    get running() {
      return running;
    },
    signal(signal) {
      if (running) proc.kill(signal);
    },
    kill() {
      if (pid > 0) killGroup(pid, 'SIGKILL');
    },
    pause() {
      if (running && pid > 0) killGroup(pid, 'SIGSTOP');
    },
    resume() {
      if (running && pid > 0) killGroup(pid, 'SIGCONT');
    },
    stderrTail: () => stderr.join('\n'),
  };
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is already gone.
  }
}
