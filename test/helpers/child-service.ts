import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { TEST_TIMEOUT_MS } from './timeouts.js';

/** One JSON line printed by a child service. */
export type LogLine = Record<string, unknown>;

/** A child process running a fixture service, with its JSON log lines. */
export interface ChildService {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every JSON line printed so far, in order. */
  readonly lines: LogLine[];
  /** Everything printed on stderr so far. */
  stderr(): string;
  /** Resolves with the first line (past or future) matching `predicate`. */
  waitForLine(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the exit code (or signal) and the monotonic time of the exit. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
  /** SIGKILLs the child if it still runs, and waits for it. */
  kill(): Promise<void>;
}

/** Starts `node --import tsx <script>` with `env` added to the environment. */
export function startChildService(script: string, env: Record<string, string>): ChildService {
  return startChildProcess(process.execPath, ['--import', 'tsx', script], env);
}

/**
 * Starts `command` with `args` and `env` added to the environment, its standard output read as
 * JSON lines; `stdin: 'pipe'` leaves standard input open for the test (`child.stdin`).
 */
export function startChildProcess(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  options: { stdin: 'ignore' | 'pipe' } = { stdin: 'ignore' },
): ChildService {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: [options.stdin, 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters = new Set<{ predicate: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const stdout = child.stdout;
  if (stdout === null) throw new Error('child-service: no stdout');
  createInterface({ input: stdout }).on('line', (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      return;
    }
    lines.push(line);
    for (const waiter of waiters) {
      if (waiter.predicate(line)) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>(
    (resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal, atMs: performance.now() }));
    },
  );
  return {
    child,
    pid: child.pid ?? -1,
    lines,
    stderr: () => stderr,
    exited,
    waitForLine(predicate, timeoutMs = TEST_TIMEOUT_MS) {
      const found = lines.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise<LogLine>((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (line: LogLine) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(
              `child-service: no matching line within ${timeoutMs} ms; stdout:\n${lines
                .map((l) => JSON.stringify(l))
                .join('\n')}\nstderr:\n${stderr}`,
            ),
          );
        }, timeoutMs);
        waiters.add(waiter);
        void exited.then(() => {
          if (!waiters.has(waiter)) return;
          // Give the last lines a chance: 'exit' can precede the final 'line' events.
          setImmediate(() => {
            const late = lines.find(predicate);
            if (late !== undefined) waiter.resolve(late);
          });
        });
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Starts a fixture and waits for its `fixture-listening` and `admin-listening` lines. */
export async function startListeningService(
  script: string,
  env: Record<string, string>,
): Promise<ChildService & { port: number; adminPort: number }> {
  const service = startChildService(script, {
    LAMEDUCK_ADMIN_HOST: '127.0.0.1',
    LAMEDUCK_ADMIN_PORT: '0',
    ...env,
  });
  try {
    const listening = await service.waitForLine((l) => l.event === 'fixture-listening');
    const admin = await service.waitForLine((l) => l.event === 'admin-listening');
    await service.waitForLine((l) => l.event === 'phase-changed' && l.to === 'serving');
    return Object.assign(service, { port: Number(listening.port), adminPort: Number(admin.port) });
  } catch (error) {
    await service.kill();
    throw error;
  }
}
