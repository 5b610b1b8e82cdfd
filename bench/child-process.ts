/**
 * Child processes for the benchmarks: a fixture run compiled (see `compiled-fixtures.ts`), its
 * JSON log lines, its exit, and a guarantee that it does not outlive the bench process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { compiledScript } from './compiled-fixtures.js';

/** One JSON line printed by a child. */
export type LogLine = Record<string, unknown>;

/** How a child ended, and when (`performance.now()` of the bench process). */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  atMs: number;
}

/** Options of {@link spawnBenchChild}. */
export interface BenchChildOptions {
  /** Names the child in errors. */
  name: string;
  /** Absolute path of the TypeScript entry point; its compiled JavaScript is what runs. */
  script: string;
  /** Command-line arguments after the script. */
  args: readonly string[];
  /** Added to the bench process's environment. */
  env: Record<string, string>;
  /** Pins the child to this CPU with `taskset`; `undefined` leaves it to the scheduler. */
  cpu: number | undefined;
  /**
   * A command that runs node in the same process (`valgrind --tool=callgrind ...`), so that the
   * pid is still the child's own. Default: none. Not with `cpu`.
   */
  launcher?: readonly string[];
  /** Options for node itself, before the script. Default: none. */
  nodeOptions?: readonly string[];
}

/** A running child; see {@link spawnBenchChild}. */
export interface BenchChild {
  readonly name: string;
  readonly pid: number;
  /** Every JSON line printed so far, in order. */
  readonly lines: readonly LogLine[];
  /** Resolves once the child has exited. */
  readonly exited: Promise<ChildExit>;
  /** True once the child has exited. */
  readonly hasExited: boolean;
  /** The last few kilobytes of standard error, for error messages. */
  stderrTail(): string;
  /**
   * Resolves with the first line, past or future, matching `predicate`. Rejects when `signal`
   * aborts or the child exits without printing one.
   */
  waitForLine(predicate: (line: LogLine) => boolean, signal: AbortSignal): Promise<LogLine>;
  /** Sends `signal` if the child still runs; returns whether it was sent. */
  sendSignal(signal: NodeJS.Signals): boolean;
  /** SIGKILLs the child if it still runs and waits for its exit. Idempotent; never rejects. */
  kill(): Promise<void>;
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const stderrTailChars = 4096;
// SIGKILL cannot be ignored, but a zombie reaped late must not hang a `finally` forever.
const killWaitMs = 5000;

// Children still running. A bench process that dies on an uncaught error or process.exit() runs
// no `finally`, so the 'exit' hook kills them synchronously; SIGKILL of a dead pid is harmless.
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
  });
}

/**
 * Starts `node <compiled script> <args>` from the repository root, standard output parsed as
 * JSON lines.
 */
export function spawnBenchChild(options: BenchChildOptions): BenchChild {
  installExitHook();
  const nodeArgs = [
    ...(options.nodeOptions ?? []),
    compiledScript(options.script),
    ...options.args,
  ];
  // taskset execs node in place, so the pid we signal is node's own.
  const launcher =
    options.launcher ?? (options.cpu === undefined ? [] : ['taskset', '-c', String(options.cpu)]);
  const [command, args] =
    launcher[0] === undefined
      ? [process.execPath, nodeArgs]
      : [launcher[0], [...launcher.slice(1), process.execPath, ...nodeArgs]];
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveChildren.add(child);

  const lines: LogLine[] = [];
  const lineWaiters = new Set<(line: LogLine) => void>();
  let stderr = '';
  let hasExited = false;
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-stderrTailChars);
  });
  if (child.stdout !== null) {
    createInterface({ input: child.stdout }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        return; // not a log line: ignore, as a log collector would
      }
      lines.push(line);
      for (const waiter of lineWaiters) waiter(line);
    });
  }
  const exited = new Promise<ChildExit>((resolve) => {
    // 'error' (spawn failure) comes without 'exit'; treat it as an exit so waiters settle.
    child.once('error', (error) => {
      stderr += `\nspawn failed: ${error.message}`;
      hasExited = true;
      liveChildren.delete(child);
      resolve({ code: null, signal: null, atMs: performance.now() });
    });
    child.once('exit', (code, signal) => {
      hasExited = true;
      liveChildren.delete(child);
      resolve({ code, signal, atMs: performance.now() });
    });
  });
  const describe = (): string => `${options.name} (pid ${child.pid ?? '?'})`;

  return {
    name: options.name,
    pid: child.pid ?? -1,
    lines,
    exited,
    get hasExited() {
      return hasExited;
    },
    stderrTail: () => stderr,
    waitForLine(predicate, signal) {
      const found = lines.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise<LogLine>((resolve, reject) => {
        const cleanup = (): void => {
          lineWaiters.delete(onLine);
          signal.removeEventListener('abort', onAbort);
        };
        const onLine = (line: LogLine): void => {
          if (!predicate(line)) return;
          cleanup();
          resolve(line);
        };
        const onAbort = (): void => {
          cleanup();
          reject(signal.reason);
        };
        if (signal.aborted) {
          reject(signal.reason);
          return;
        }
        lineWaiters.add(onLine);
        signal.addEventListener('abort', onAbort, { once: true });
        void exited.then((exit) => {
          if (!lineWaiters.has(onLine)) return;
          // 'exit' can precede the last 'line' events: give them one turn of the loop.
          setImmediate(() => {
            if (!lineWaiters.has(onLine)) return;
            cleanup();
            reject(
              new Error(
                `bench: ${describe()} exited (code ${exit.code}, signal ${exit.signal}) before the awaited line; stderr:\n${stderr}`,
              ),
            );
          });
        });
      });
    },
    sendSignal(signal) {
      if (hasExited) return false;
      return child.kill(signal);
    },
    async kill() {
      if (!hasExited) child.kill('SIGKILL');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        exited,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, killWaitMs);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}
