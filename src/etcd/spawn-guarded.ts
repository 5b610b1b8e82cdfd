import { type ChildProcess, spawn } from 'node:child_process';
import { LameduckError } from '../errors/lameduck-error.js';

/**
 * The watchdog that stands between this process and the real child (CommonJS, run with
 * `node -e`, so it needs no loader and works from `src/` and `dist/` alike).
 *
 * Why: a child must not outlive its parent, even when the parent is SIGKILLed or dies of an
 * unhandled SIGTERM (the test runner does both), and Node cannot set `PR_SET_PDEATHSIG`. The
 * guard holds the read end of a pipe whose only writer is the parent. The kernel closes that
 * pipe when the parent dies for any reason, the guard sees end-of-file, SIGKILLs the child and
 * removes the child's directories. While the parent lives, the guard only mirrors the child's
 * exit status, so the parent sees the child's exit as the guard's exit.
 *
 * The parent signals the child's pid directly, never the guard's. So a SIGINT, SIGTERM or
 * SIGHUP that reaches the guard was sent to the whole process group (Ctrl-C, a CI job being
 * cancelled): the guard then stays alive instead of dying, waits for the child (which got the
 * same signal) and removes the directories too. Only SIGKILL to the whole group leaves the
 * directories behind (in `os.tmpdir()`); no process survives it either way.
 *
 * The `process.on` calls below run in the guard process, never in the host: the house rule
 * that only `src/lifecycle/` installs process handlers is kept, and `src/etcd/` adds no
 * `exit` hook because the guard also cleans up after a normal exit of the host.
 *
 * Protocol: argv[1] is JSON `{ command, args, removeDirs, removeEmptyDirs }`; the guard writes
 * the child's pid and a newline to stdout; the child's stdout and stderr go to the guard's
 * stderr; the guard exits with status 127 if the child cannot be started.
 */
const GUARD_SOURCE = `'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const spec = JSON.parse(process.argv[1]);
const child = spawn(spec.command, spec.args, { stdio: ['ignore', 2, 2] });
let parentGone = false;
let signalled = false;
for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(name, () => { signalled = true; });
const removeDirs = () => {
  for (const dir of spec.removeDirs) {
    try { fs.rmSync(dir, { recursive: true, force: true }); } catch {}
  }
  for (const dir of spec.removeEmptyDirs) {
    try { fs.rmdirSync(dir); } catch {}
  }
};
const onParentGone = () => {
  if (parentGone) return;
  parentGone = true;
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  else { removeDirs(); process.exit(0); }
};
child.on('error', (error) => {
  process.stderr.write('guard: cannot start ' + spec.command + ': ' + error.message + '\\n');
  process.exit(127);
});
child.on('exit', (code, signal) => {
  if (parentGone || signalled) removeDirs();
  if (parentGone) process.exit(0);
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(code === null ? 1 : code);
});
if (child.pid !== undefined) process.stdout.write(child.pid + '\\n');
process.stdin.on('end', onParentGone);
process.stdin.on('error', onParentGone);
process.stdin.resume();
`;

/** What {@link spawnGuarded} starts and what the guard cleans up if this process dies. */
export interface GuardedSpawnSpec {
  /** Absolute path of the program to run. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** Directories the guard removes recursively when this process dies first. */
  removeDirs: string[];
  /** Directories the guard removes only if they are empty then (a root shared by siblings). */
  removeEmptyDirs: string[];
  /** Called with each chunk of the child's stdout and stderr, as UTF-8 text. */
  onOutput: (chunk: string) => void;
}

/** How a guarded child ended. */
export interface GuardedExit {
  /** The exit code, or `null` when a signal ended it. */
  code: number | null;
  /** The signal that ended it, or `null`. */
  signal: NodeJS.Signals | null;
}

/** A child running behind its guard. */
export interface GuardedProcess {
  /** The pid of the real child (not of the guard); signal it with `process.kill(pid, …)`. */
  readonly pid: number;
  /**
   * Resolves once the child (and with it the guard) has exited; never rejects. Awaiting it
   * does not keep this process alive: use `waitForExit()` for that.
   */
  readonly exited: Promise<GuardedExit>;
  /** Like `exited`, but keeps this process alive until the exit arrives (for `stop()`). */
  waitForExit(): Promise<GuardedExit>;
  /** Whether the guard has not reported the child's exit yet. */
  isRunning(): boolean;
}

/**
 * Starts `spec.command` behind a small watchdog process (see `GUARD_SOURCE`), so that the child
 * is SIGKILLed and its directories are removed when this process dies, however it dies.
 *
 * Once started, the guard and its pipes are unref'd: a forgotten child does not keep this
 * process alive, and when this process exits the guard cleans up. Resolves once the child's pid
 * is known; rejects with `unavailable` when the child cannot be started (its output, if any, has
 * gone to `spec.onOutput`).
 */
export function spawnGuarded(spec: GuardedSpawnSpec): Promise<GuardedProcess> {
  const payload = JSON.stringify({
    command: spec.command,
    args: spec.args,
    removeDirs: spec.removeDirs,
    removeEmptyDirs: spec.removeEmptyDirs,
  });
  const guard = spawn(process.execPath, ['-e', GUARD_SOURCE, payload], {
    stdio: ['pipe', 'pipe', 'pipe'],
    // The guard must not inherit a loader from NODE_OPTIONS it does not need.
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let running = true;
  const exited = new Promise<GuardedExit>((resolve) => {
    guard.once('exit', (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
  });
  guard.stderr?.setEncoding('utf8');
  guard.stderr?.on('data', (chunk: string) => spec.onOutput(chunk));
  // Nothing is ever written to the guard's stdin; it only has to stay open.
  guard.stdin?.on('error', () => {});

  return new Promise<GuardedProcess>((resolve, reject) => {
    let stdout = '';
    guard.once('error', (cause) => {
      reject(
        new LameduckError('unavailable', `guard: cannot start ${process.execPath}`, { cause }),
      );
    });
    guard.stdout?.setEncoding('utf8');
    guard.stdout?.on('data', (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline === -1) return;
      const pid = Number(stdout.slice(0, newline));
      if (!Number.isInteger(pid) || pid <= 0) {
        guard.kill('SIGKILL');
        reject(new LameduckError('internal', `guard: unexpected output ${JSON.stringify(stdout)}`));
        return;
      }
      // Only now: until the pid arrives, the pending start must keep this process alive.
      unrefChild(guard);
      const waitForExit = () => {
        guard.ref();
        return exited.finally(() => guard.unref());
      };
      resolve({ pid, exited, waitForExit, isRunning: () => running });
    });
    void exited.then(({ code, signal }) => {
      // A no-op when the pid already arrived.
      reject(
        new LameduckError(
          'unavailable',
          `guard: ${spec.command} exited (${signal ?? `code ${code}`}) before it started`,
        ),
      );
    });
  });
}

function unrefChild(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    if (stream !== null && 'unref' in stream && typeof stream.unref === 'function') {
      stream.unref();
    }
  }
}
