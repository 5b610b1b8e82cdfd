/**
 * CPU pinning with `taskset`, so that the load generator and the server each own one core of a
 * two-core machine instead of the scheduler moving them (and their GC threads) onto one core.
 */
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);
const tasksetTimeoutMs = 5000;

/** CPUs for the load generator and the server, when pinning is possible. */
export interface CpuPlan {
  /** CPU of the bench process (the load generator). */
  benchCpu: number;
  /** CPU of the server child. */
  serverCpu: number;
}

/**
 * Returns the plan when there are at least two CPUs and `taskset` works here, else `undefined`
 * (the benchmark then runs unpinned and says so in its report).
 */
export async function planCpus(): Promise<CpuPlan | undefined> {
  if (availableParallelism() < 2) return undefined;
  try {
    await currentAffinity(process.pid);
    return { benchCpu: 0, serverCpu: 1 };
  } catch {
    return undefined;
  }
}

/** The CPU list `pid` may run on, as taskset prints it (`0,1` or `0-3`). */
export async function currentAffinity(pid: number): Promise<string> {
  const { stdout } = await run('taskset', ['-p', '-c', String(pid)], { timeout: tasksetTimeoutMs });
  const list = stdout.split(':').at(-1)?.trim();
  if (list === undefined || list === '')
    throw new Error(`taskset: cannot parse '${stdout.trim()}'`);
  return list;
}

/**
 * Pins every thread of `pid` to `cpuList` and returns the list it had, for
 * {@link restoreAffinity}. Threads created later inherit the mask of their creator.
 */
export async function pinAffinity(pid: number, cpuList: string): Promise<string> {
  const previous = await currentAffinity(pid);
  await run('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { timeout: tasksetTimeoutMs });
  return previous;
}

/** Gives every thread of `pid` back `cpuList`. Never rejects: it runs in `finally` blocks. */
export async function restoreAffinity(pid: number, cpuList: string): Promise<void> {
  try {
    await run('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { timeout: tasksetTimeoutMs });
  } catch {
    // The process may be gone, or taskset may fail; nothing we could do changes the figures.
  }
}
