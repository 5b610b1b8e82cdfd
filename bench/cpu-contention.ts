/**
 * How much CPU other work took during a measurement: the machine is shared (tests run beside the
 * benchmarks), and a run that competed for its cores says less than one that did not. Linux only:
 * reads `/proc/stat` and `/proc/<pid>/stat`.
 */
import { readFile } from 'node:fs/promises';

/** CPU taken during a measurement, in cores (1 = one core busy for the whole measurement). */
export interface CpuContention {
  /** User and system time of processes other than ours. */
  foreignCores: number;
  /** Time the hypervisor gave our vCPUs to someone else. */
  stealCores: number;
  /** User and system time of each of our processes, by pid, in ms. */
  cpuMsByPid: Record<number, number>;
  /** Wall time of the measurement. */
  elapsedMs: number;
}

interface Sample {
  /** Jiffies of every CPU, per `/proc/stat` column. */
  user: number;
  system: number;
  steal: number;
  total: number;
  /** Jiffies (user + system) of each of our processes, in the order of the pids given. */
  ours: number[];
}

async function readCpuLine(): Promise<Omit<Sample, 'ours'>> {
  const text = await readFile('/proc/stat', 'utf8');
  const fields = (text.split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
    fields;
  // Interrupts are left out of "user": loopback traffic's softirq time is ours but is not charged
  // to our processes, so counting it would blame other work for our own packets.
  return {
    user: user + nice,
    system,
    steal,
    total: user + nice + system + idle + iowait + irq + softirq + steal,
  };
}

async function readProcessJiffies(pid: number): Promise<number> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; count fields from the closing parenthesis.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  } catch {
    return 0; // gone: its time is lost, and shows up as foreign
  }
}

async function sample(pids: readonly number[]): Promise<Sample | undefined> {
  try {
    const cpu = await readCpuLine();
    return { ...cpu, ours: await Promise.all(pids.map(readProcessJiffies)) };
  } catch {
    return undefined; // not Linux
  }
}

/** A measurement under way; see {@link startCpuContention}. */
export interface CpuContentionMeter {
  /** Ends the measurement; `undefined` where /proc is not readable. */
  stop(): Promise<CpuContention | undefined>;
}

/**
 * Starts measuring. `pids` are our processes (the bench process and its live children); they
 * must stay alive until `stop()`, or their time counts as foreign.
 */
export async function startCpuContention(pids: readonly number[]): Promise<CpuContentionMeter> {
  const cpuCount = (await readFile('/proc/stat', 'utf8').catch(() => ''))
    .split('\n')
    .filter((line) => /^cpu\d/.test(line)).length;
  const first = await sample(pids);
  const startedAtMs = performance.now();
  return {
    async stop() {
      const elapsedMs = performance.now() - startedAtMs;
      const last = await sample(pids);
      if (first === undefined || last === undefined || cpuCount === 0) return undefined;
      const elapsedPerCpu = (last.total - first.total) / cpuCount;
      if (elapsedPerCpu <= 0) return undefined;
      const busy = last.user + last.system - (first.user + first.system);
      const cpuMsByPid: Record<number, number> = {};
      let ours = 0;
      for (const [index, pid] of pids.entries()) {
        const jiffies = (last.ours[index] ?? 0) - (first.ours[index] ?? 0);
        ours += jiffies;
        // Scaled by wall time rather than an assumed USER_HZ.
        cpuMsByPid[pid] = (jiffies / elapsedPerCpu) * elapsedMs;
      }
      return {
        foreignCores: Math.max(0, busy - ours) / elapsedPerCpu,
        stealCores: (last.steal - first.steal) / elapsedPerCpu,
        cpuMsByPid,
        elapsedMs,
      };
    },
  };
}
