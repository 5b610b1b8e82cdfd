/**
 * How long a registration change in etcd takes to reach every watcher's endpoint set, with
 * 10,000 instances registered and 1,000 watchers: `etcdDiscovery` (read the prefix, watch it,
 * decode, update the set, notify `subscribe`, each listener taking the sorted set) against bare
 * etcd3 prefix watches (the event itself, nothing decoded) in the same layout, on the same kind
 * of changes; and how long the 1,000 discoveries take to start with their default options.
 *
 * One local etcd (127.0.0.1) holds 10,000 `etcd-naming` records of `bench-svc`, without a lease
 * (a lease changes nothing on the watch path, and would need keeping alive). Per phase, four
 * child processes (`fixtures/etcd-watchers.ts`) each hold 250 watchers over one shared etcd3
 * client; once all are ready the bench makes `warmUpChanges` then `changesPerPhase` changes one
 * at a time, alternately registering a new instance and deleting the key of an existing one, and
 * waits until every watcher has reported the change (or `perChangeBoundMs`) before the next. The
 * warm-up changes are left out of the figures.
 *
 * A sample is a watcher's time of seeing a change minus the time just before the bench's put or
 * delete, both `performance.timeOrigin + performance.now()`: wall clocks that the processes of
 * one machine share. Per change, the "all watchers" time is the slowest watcher's sample.
 */

import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { type LocalEtcd, startLocalEtcd } from '../src/etcd/index.js';
import { registryCodec } from '../src/registry/formats.js';
import { type Benchmark, type BenchmarkReport, summaryRow } from './benchmark.js';
import { type BenchChild, type LogLine, spawnBenchChild } from './child-process.js';
import type {
  ChangeSeenLine,
  PlannedChange,
  WatcherMode,
  WatchersReadyLine,
} from './fixtures/etcd-watchers.js';
import { median, percentile, roundTo } from './stats.js';

const etcdWatchers = fileURLToPath(new URL('./fixtures/etcd-watchers.ts', import.meta.url));

const parameters = {
  service: 'bench-svc',
  format: 'etcd-naming',
  instances: 10_000,
  processes: 4,
  watchersPerProcess: 250,
  // Alternately an add and a delete: the set stays at 10,000 / 10,001 instances.
  changesPerPhase: 40,
  // Left out of the figures: the first changes run the watch path before it is optimised (the
  // raw watches took 2-5 times longer on their first few changes than from the tenth on).
  warmUpChanges: 4,
  // Puts in flight at once while seeding: etcd batches concurrent proposals into one fsync.
  seedPutsInFlight: 500,
  perChangeBoundMs: 10_000,
  // After the last watcher reported: lets the children's reports and garbage settle, as real
  // changes do not come back to back.
  pauseBetweenChangesMs: 200,
  // After every watcher is ready: lets the load's garbage be collected before the first change.
  settleBeforeChangesMs: 1000,
  readyBoundMs: 30_000,
  goalP99Ms: 100,
  // Issue 16: a change reaches all watchers at p99 within 1.5 times the raw watches' time...
  goalAllWatchersP99Ratio: 1.5,
  // ... and the 250 discoveries of a process, with the default callTimeoutMs (1000 ms), start
  // within it, with no read given up on and retried.
  goalStartMs: 1000,
};
const codec = registryCodec('etcd-naming');
const wallClockMs = (): number => performance.timeOrigin + performance.now();

/** One phase's raw results: per change, when it was made and when each watcher saw it. */
interface PhaseResult {
  mode: WatcherMode;
  ready: WatchersReadyLine[];
  changes: ChangeResult[];
  /** Notifications that did not show the expected change, summed over the children. */
  mismatches: number;
  warnings: number;
}

interface ChangeResult {
  op: PlannedChange['op'];
  /** `performance.timeOrigin + performance.now()` just before the put or delete. */
  madeAtMs: number;
  /** One sample per watcher that saw it within the bound. */
  propagationMs: number[];
  /** Watchers that had not reported it within `perChangeBoundMs`. */
  missing: number;
}

/** The figures of one side (lameduck or raw), as the report holds them. */
type SideFigures = {
  propagationP50Ms: number;
  propagationP99Ms: number;
  propagationMaxMs: number;
  allWatchersP50Ms: number;
  allWatchersP99Ms: number;
  allWatchersMaxMs: number;
  samples: number;
  missingSamples: number;
  mismatches: number;
  warnings: number;
  loadMsPerProcess: number[];
  /** Reads of the whole prefix per process, to start its 250 discoveries. */
  prefixReadsPerProcess: number[];
  /** Reads that failed or were given up on (callTimeoutMs), then retried, summed. */
  failedReads: number;
  heapUsedMbPerProcess: number[];
  rssMbPerProcess: number[];
  perChange: Array<{ op: string; p50Ms: number; allWatchersMs: number; missing: number }>;
};

/** The figures with a ratio in the report. */
type RatioFigure =
  | 'propagationP50Ms'
  | 'propagationP99Ms'
  | 'allWatchersP50Ms'
  | 'allWatchersP99Ms';

// ---- etcd ----

/** `10.1.0.0:8080` upwards: instance `index` of the 10,000 registered before the changes. */
function seededAddress(index: number): string {
  return `10.${1 + (index >> 16)}.${(index >> 8) & 255}.${index & 255}:8080`;
}

function keyOf(address: string): string {
  return codec.encode(parameters.service, { address, metadata: {} }, { leaseId: '0', id: '' }).key;
}

async function putInstance(client: Etcd3, address: string): Promise<void> {
  const record = codec.encode(
    parameters.service,
    { address, metadata: {} },
    { leaseId: '0', id: address },
  );
  await client.put(record.key).value(record.value).exec();
}

/** Registers the 10,000 instances; returns how long it took. */
async function seedInstances(client: Etcd3, signal: AbortSignal): Promise<number> {
  const startedAtMs = performance.now();
  const { instances, seedPutsInFlight } = parameters;
  for (let first = 0; first < instances; first += seedPutsInFlight) {
    signal.throwIfAborted();
    const last = Math.min(first + seedPutsInFlight, instances);
    const puts: Promise<void>[] = [];
    for (let index = first; index < last; index++)
      puts.push(putInstance(client, seededAddress(index)));
    await Promise.all(puts);
  }
  const stored = await client.getAll().prefix(codec.prefix(parameters.service)).count();
  if (stored !== instances) throw new Error(`etcd-propagation: seeded ${stored} of ${instances}`);
  return performance.now() - startedAtMs;
}

/**
 * The changes of phase `phase`: a new address in `10.250.<phase>.0/24`, then the deletion of a
 * seeded instance no earlier phase deleted, and so on; each phase starts from 10,000 instances.
 */
function planChanges(phase: number): PlannedChange[] {
  const count = parameters.warmUpChanges + parameters.changesPerPhase;
  return Array.from({ length: count }, (_, index): PlannedChange => {
    const pair = index >> 1;
    return index % 2 === 0
      ? { op: 'add', address: `10.250.${phase}.${pair}:8080` }
      : { op: 'delete', address: seededAddress(phase * count + pair) };
  });
}

async function makeChange(client: Etcd3, change: PlannedChange): Promise<void> {
  if (change.op === 'add') await putInstance(client, change.address);
  else await client.delete().key(keyOf(change.address)).exec();
}

// ---- the watcher processes ----

function spawnWatchers(
  etcd: LocalEtcd,
  mode: WatcherMode,
  changes: readonly PlannedChange[],
  index: number,
): BenchChild {
  return spawnBenchChild({
    name: `etcd-watchers ${mode} ${index}`,
    script: etcdWatchers,
    args: [],
    env: {
      FIXTURE_MODE: mode,
      FIXTURE_ETCD_ENDPOINTS: etcd.endpoints.join(','),
      FIXTURE_SERVICE: parameters.service,
      FIXTURE_WATCHERS: String(parameters.watchersPerProcess),
      FIXTURE_CHANGES: JSON.stringify(changes),
    },
    cpu: undefined,
  });
}

const isChangeSeen =
  (change: number) =>
  (line: LogLine): boolean =>
    line.event === 'change-seen' && line.change === change;

/**
 * Waits until every child reported `change`, or `perChangeBoundMs`: a change that never arrives
 * is counted missing rather than failing the run, so that the report says how many.
 */
async function waitChangeSeen(
  children: readonly BenchChild[],
  change: number,
  signal: AbortSignal,
): Promise<void> {
  const bounded = AbortSignal.any([signal, AbortSignal.timeout(parameters.perChangeBoundMs)]);
  try {
    await Promise.all(children.map((child) => child.waitForLine(isChangeSeen(change), bounded)));
  } catch (error) {
    if (signal.aborted || !bounded.aborted) throw error;
  }
}

/** Every child's report of change `index`, turned into samples. */
function collectChange(
  children: readonly BenchChild[],
  index: number,
  change: PlannedChange,
  madeAtMs: number,
): ChangeResult {
  const propagationMs: number[] = [];
  let missing = 0;
  for (const child of children) {
    const line = child.lines.find(isChangeSeen(index)) as ChangeSeenLine | undefined;
    if (line === undefined) missing += parameters.watchersPerProcess;
    else for (const atMs of line.atMs) propagationMs.push(atMs - madeAtMs);
  }
  return { op: change.op, madeAtMs, propagationMs, missing };
}

/** The last `change-seen` line of each child: its running totals of mismatches and warnings. */
function childTotals(children: readonly BenchChild[]): { mismatches: number; warnings: number } {
  let mismatches = 0;
  let warnings = 0;
  for (const child of children) {
    const last = child.lines.findLast((line) => line.event === 'change-seen') as
      | ChangeSeenLine
      | undefined;
    mismatches += last?.mismatches ?? 0;
    warnings += last?.warnings ?? 0;
  }
  return { mismatches, warnings };
}

/** Every child's `watchers-ready` line; rejects, saying so, past `readyBoundMs`. */
async function waitReady(
  children: readonly BenchChild[],
  mode: WatcherMode,
  signal: AbortSignal,
): Promise<WatchersReadyLine[]> {
  const bounded = AbortSignal.any([signal, AbortSignal.timeout(parameters.readyBoundMs)]);
  try {
    const lines = await Promise.all(
      children.map((child) =>
        child.waitForLine((line) => line.event === 'watchers-ready', bounded),
      ),
    );
    return lines as unknown as WatchersReadyLine[];
  } catch (error) {
    if (signal.aborted || !bounded.aborted) throw error;
    throw new Error(
      `etcd-propagation: ${mode} watchers not ready within ${parameters.readyBoundMs} ms`,
    );
  }
}

/** One phase: start the watchers, make the changes one at a time, stop the watchers. */
async function runPhase(
  etcd: LocalEtcd,
  client: Etcd3,
  mode: WatcherMode,
  changes: readonly PlannedChange[],
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<PhaseResult> {
  const children = Array.from({ length: parameters.processes }, (_, index) =>
    spawnWatchers(etcd, mode, changes, index),
  );
  try {
    const ready = await waitReady(children, mode, signal);
    log(
      `${mode}: ${parameters.processes * parameters.watchersPerProcess} watchers ready; load ${ready.map((r) => `${r.loadMs} ms`).join(', ')}`,
    );
    await delay(parameters.settleBeforeChangesMs, undefined, { signal });
    const results: ChangeResult[] = [];
    for (const [index, change] of changes.entries()) {
      const madeAtMs = wallClockMs();
      await makeChange(client, change);
      await waitChangeSeen(children, index, signal);
      results.push(collectChange(children, index, change, madeAtMs));
      await delay(parameters.pauseBetweenChangesMs, undefined, { signal });
    }
    return { mode, ready, changes: results, ...childTotals(children) };
  } finally {
    await Promise.all(children.map((child) => child.kill()));
  }
}

// ---- the report ----

function summariseSide(phase: PhaseResult): SideFigures {
  const { perChangeBoundMs, warmUpChanges } = parameters;
  const measured = phase.changes.slice(warmUpChanges);
  // A watcher that never reported counts as the bound: a lower bound of its real time.
  const all = measured.flatMap((c) => [
    ...c.propagationMs,
    ...Array.from({ length: c.missing }, () => perChangeBoundMs),
  ]);
  const slowest = measured.map((c) =>
    c.missing > 0 ? perChangeBoundMs : Math.max(...c.propagationMs),
  );
  const round = (value: number): number => roundTo(value, 2);
  return {
    propagationP50Ms: round(percentile(all, 50)),
    propagationP99Ms: round(percentile(all, 99)),
    propagationMaxMs: round(Math.max(...all)),
    allWatchersP50Ms: round(percentile(slowest, 50)),
    allWatchersP99Ms: round(percentile(slowest, 99)),
    allWatchersMaxMs: round(Math.max(...slowest)),
    samples: all.length,
    missingSamples: measured.reduce((sum, c) => sum + c.missing, 0),
    mismatches: phase.mismatches,
    warnings: phase.warnings,
    loadMsPerProcess: phase.ready.map((r) => r.loadMs),
    prefixReadsPerProcess: phase.ready.map((r) => r.prefixReads),
    failedReads: phase.ready.reduce((sum, r) => sum + r.failedReads, 0),
    heapUsedMbPerProcess: phase.ready.map((r) => r.heapUsedMb),
    rssMbPerProcess: phase.ready.map((r) => r.rssMb),
    perChange: measured.map((c, index) => ({
      op: c.op,
      p50Ms: round(median(c.propagationMs)),
      allWatchersMs: round(slowest[index] ?? Number.NaN),
      missing: c.missing,
    })),
  };
}

/** Largest disagreement between the bench's clock and a child's, from their ready lines. */
function clockSkewMs(phases: readonly PhaseResult[]): number {
  const own = wallClockMs() - Date.now();
  const offsets = phases.flatMap((p) => p.ready.map((r) => Math.abs(r.clockOffsetMs - own)));
  return roundTo(Math.max(...offsets), 2);
}

function buildReport(
  raw: PhaseResult,
  lameduck: PhaseResult,
  timings: { seedMs: number },
): BenchmarkReport {
  const subject = summariseSide(lameduck);
  const baseline = summariseSide(raw);
  const ratio = (key: RatioFigure): number => roundTo(subject[key] / baseline[key], 4);
  const { goalP99Ms, goalAllWatchersP99Ratio, goalStartMs } = parameters;
  const startMs = (side: SideFigures): number => Math.max(...side.loadMsPerProcess);
  const notes = [
    'Two phases on the same etcd and the same 10,000 records, raw watches first, then lameduck, each in 4 fresh processes of 250 watchers: the two are not run at once because watchers sharing a process share its event loop, so the raw watches would wait behind the discoveries and measure lameduck too.',
    'Each change is made only after every watcher saw the previous one, so a sample is the latency of an idle system; the slowest watchers of a process are those its event loop notifies last (250 per process stand for 250 processes of one watcher each).',
    `Samples are wall-clock differences between processes (performance.timeOrigin + performance.now()); the largest disagreement measured between the bench's clock and a child's was ${clockSkewMs([raw, lameduck])} ms (Date.now() resolution: 1 ms).`,
    `etcdDiscovery ran with its default options (callTimeoutMs 1000, resyncIntervalMs 30000): the 250 discoveries of a process share one read of the prefix (${subject.prefixReadsPerProcess.join(', ')} per process) and one watch; ${subject.failedReads} reads failed or were given up on and retried. A resync (one read per process every 24-36 s) may fall during the changes: it is part of the cost.`,
    'Each lameduck listener reads discovery.endpoints when told, as the gRPC resolver does: the first after a change builds the sorted set (10,000 entries), the others get the same array.',
    'etcd, the bench and the 4 watcher processes share the machine; the changes are written without a lease.',
  ];
  const missing = subject.missingSamples + baseline.missingSamples;
  if (missing > 0) {
    notes.push(
      `${missing} samples missing (a watcher had not seen a change within ${parameters.perChangeBoundMs} ms); counted as ${parameters.perChangeBoundMs} ms.`,
    );
  }
  if (subject.mismatches + baseline.mismatches > 0) {
    notes.push(
      `${subject.mismatches} lameduck and ${baseline.mismatches} raw notifications did not show the change expected next.`,
    );
  }
  return {
    labels: {
      subject: `etcdDiscovery (${parameters.format}), ${parameters.watchersPerProcess} per process over one shared etcd3 client, timed by subscribe`,
      baseline: `etcd3 client.watch().prefix().create(), ${parameters.watchersPerProcess} per process over one shared client, timed by the put/delete event`,
    },
    parameters: { ...parameters, seedMs: Math.round(timings.seedMs) },
    figures: subject,
    baseline,
    ratios: {
      propagationP50Ms: ratio('propagationP50Ms'),
      propagationP99Ms: ratio('propagationP99Ms'),
      allWatchersP50Ms: ratio('allWatchersP50Ms'),
      allWatchersP99Ms: ratio('allWatchersP99Ms'),
    },
    rows: [
      summaryRow('propagation p50 (ms)', subject.propagationP50Ms, baseline.propagationP50Ms),
      summaryRow('propagation p99 (ms)', subject.propagationP99Ms, baseline.propagationP99Ms, {
        // The issue's goal is on lameduck's own figure, not on the ratio.
        goal: { text: `<= ${goalP99Ms} ms`, isMet: () => subject.propagationP99Ms <= goalP99Ms },
      }),
      summaryRow('propagation max (ms)', subject.propagationMaxMs, baseline.propagationMaxMs),
      summaryRow(
        'change to all 1,000 watchers p50 (ms)',
        subject.allWatchersP50Ms,
        baseline.allWatchersP50Ms,
      ),
      summaryRow(
        'change to all 1,000 watchers p99 (ms)',
        subject.allWatchersP99Ms,
        baseline.allWatchersP99Ms,
        {
          goal: {
            text: `<= ${goalAllWatchersP99Ratio}`,
            isMet: (ratio) => ratio <= goalAllWatchersP99Ratio,
          },
        },
      ),
      summaryRow(
        'start of 250 watchers, slowest process (ms)',
        startMs(subject),
        startMs(baseline),
        {
          // On lameduck's own figure: the raw watches read nothing.
          goal: {
            text: `<= ${goalStartMs} ms, no read retried`,
            isMet: () => startMs(subject) <= goalStartMs && subject.failedReads === 0,
          },
        },
      ),
    ],
    notes,
  };
}

function describePhase(phase: PhaseResult): string {
  const f = summariseSide(phase);
  return `${phase.mode}: propagation p50 ${f.propagationP50Ms} ms, p99 ${f.propagationP99Ms} ms, max ${f.propagationMaxMs} ms; all watchers p50 ${f.allWatchersP50Ms} ms, p99 ${f.allWatchersP99Ms} ms; missing ${f.missingSamples}`;
}

/** See the file's opening comment. */
export const benchmark: Benchmark = {
  name: 'etcd-propagation',
  description:
    'Time from a registration change in etcd to the endpoint sets of 1,000 etcdDiscovery watchers (10,000 instances), against 1,000 bare etcd3 prefix watches.',
  // Measured on 2 cores: seeding 1.5-2 s; each phase about 1 s of start-up and 44 changes at
  // ~0.3 s each.
  timeoutMs: 180_000,
  async run(signal, log) {
    const etcd = await startLocalEtcd({ signal });
    const client = new Etcd3({ hosts: etcd.endpoints });
    try {
      const seedMs = await seedInstances(client, signal);
      log(`seeded ${parameters.instances} instances in ${Math.round(seedMs)} ms`);
      const raw = await runPhase(etcd, client, 'raw', planChanges(0), signal, log);
      log(describePhase(raw));
      const lameduck = await runPhase(etcd, client, 'lameduck', planChanges(1), signal, log);
      log(describePhase(lameduck));
      return buildReport(raw, lameduck, { seedMs });
    } finally {
      client.close();
      await etcd.stop();
    }
  },
};
