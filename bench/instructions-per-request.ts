/**
 * The servers' cost per request counted in CPU instructions, which a shared machine cannot blur:
 * each server of `http-overhead` and `grpc-overhead` (bare, with lameduck, with each peer) runs
 * under `valgrind --tool=callgrind`, takes `warmUpRounds` rounds of `requestsPerRound` (each
 * round on a new connection), then `measuredWindows` windows of `requestsPerWindow`, each between
 * a zero and a dump of callgrind's counters. A window's figure is its instructions over the
 * requests it completed; a process's is the median of its windows, so that a stray compile in
 * one window does not move it; a server's is the median of `processesPerSubject` processes (the
 * JSON keeps every window of every process, and the spread of the processes).
 *
 * Why processes as well as windows: within a process the windows repeat within about 1 %, but
 * the same server started again can settle elsewhere (http-terminator's server counted 58,465 in
 * one process and 62,111 in another), as V8's optimisation decisions differ from run to run, and
 * so did the size of its young generation, until pinned (see `nodeOptions`).
 *
 * The warm-up is long because V8 is slow to settle: with `--trace-opt`, TurboFan was still
 * compiling node:http's own functions after 9,000 requests, and after a warm-up of 3,000 its
 * compiles were about half of what a request seemed to cost (258,000 instructions against 59,000
 * once settled), drowning the differences to measure. After four rounds nothing compiled.
 *
 * One request at a time (one connection, one call in flight): every request then takes the same
 * path through the event loop, whatever the timing (with more in flight, how many requests share
 * a loop turn depends on timing, and the counts moved by 8 %). The price: no batching, so the
 * absolute counts are those of a lightly loaded server, higher per request than at saturation;
 * the ratios are what to read. The `grpc-saturated` rows add what one call at a time cannot
 * show: 64 calls in flight, queueing in the server. The servers run two at a time, one per core.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import autocannon, { type AutocannonResult } from 'autocannon';
import { type Benchmark, type BenchmarkReport, type SummaryRow, summaryRow } from './benchmark.js';
import { type BenchChild, spawnBenchChild } from './child-process.js';
import { peerNames } from './fixtures/peers.js';
import { loadUnaryClosedLoop } from './grpc-overhead.js';
import { type Variant, variantArgs } from './overhead-comparison.js';
import { median, roundTo } from './stats.js';

const run = promisify(execFile);
const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url));

const parameters = {
  warmUpRounds: 5,
  requestsPerRound: 3000,
  measuredWindows: 3,
  requestsPerWindow: 2000,
  // Per protocol. Five for HTTP: the same HTTP server started again counts up to about 0.5 % more
  // or less (V8's inline caches hit differently from process to process: the generic LoadIC alone
  // cost one bare server 250 instructions per request more than another), which is the size of
  // the goal against the lightest peer; the median of five is steadier than the median of three.
  processesPerSubject: { http: 5, grpc: 3, 'grpc-saturated': 3 },
  // One request at a time: see the file's opening comment.
  httpConnections: 1,
  grpc: { channels: 1, callsInFlightPerChannel: 1 },
  // grpc-overhead's shape, where calls queue in a server that is the bottleneck (as it is under
  // valgrind): the cost one call at a time does not show. See the rows' note.
  grpcSaturated: { channels: 4, callsInFlightPerChannel: 16 },
  // Under valgrind a server starts in tens of seconds.
  startBoundMs: 120_000,
};

/** One server to count: its fixture, flags, and how to load it with a number of requests. */
interface Subject {
  protocol: 'http' | 'grpc' | 'grpc-saturated';
  variant: string;
  script: string;
  args: string[];
  readyEvent: string;
}

const httpVariants: Variant[] = ['without', 'with', ...peerNames.map((p): Variant => `peer:${p}`)];
const grpcVariants: Variant[] = ['without', 'with'];

function subject(protocol: Subject['protocol'], variant: Variant): Subject {
  const http = protocol === 'http';
  return {
    protocol,
    // Peers by package name, as the rows name them.
    variant: variant.replace(/^peer:/, ''),
    script: fixture(http ? 'hello-server' : 'grpc-hello-server'),
    args: variantArgs(variant),
    readyEvent: http ? 'hello-serving' : 'grpc-hello-serving',
  };
}

const subjects: Subject[] = [
  ...httpVariants.map((variant) => subject('http', variant)),
  ...grpcVariants.map((variant) => subject('grpc', variant)),
  ...grpcVariants.map((variant) => subject('grpc-saturated', variant)),
];

/** Sends `requests` requests to the subject's server; resolves with how many succeeded. */
async function load(
  subject: Subject,
  port: number,
  requests: number,
  signal: AbortSignal,
): Promise<number> {
  if (subject.protocol !== 'http') {
    const result = await loadUnaryClosedLoop(
      `127.0.0.1:${port}`,
      (completed) => completed >= requests,
      signal,
      subject.protocol === 'grpc' ? parameters.grpc : parameters.grpcSaturated,
    );
    return result.completedRequests;
  }
  const result = await new Promise<AutocannonResult>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}/`,
        connections: parameters.httpConnections,
        amount: requests,
      },
      (error, outcome) => {
        signal.removeEventListener('abort', stop);
        if (error === null) resolve(outcome);
        else reject(error);
      },
    );
    const stop = (): void => instance.stop();
    signal.addEventListener('abort', stop, { once: true });
  });
  signal.throwIfAborted();
  return result.requests.total - result.non2xx - result.errors;
}

/** The `summary:` (total instructions) of the dump callgrind wrote as part `part`. */
async function dumpedInstructions(outFile: string, part: number): Promise<number> {
  const text = await readFile(`${outFile}.${part}`, 'utf8');
  const total = Number(/^summary: (\d+)/m.exec(text)?.[1] ?? 0);
  if (!(total > 0)) throw new Error(`instructions-per-request: no summary in ${outFile}.${part}`);
  return total;
}

/** One process's windows: each window's instructions per request. */
type ProcessWindows = number[];

interface Count {
  protocol: string;
  variant: string;
  /** Median over the processes of each process's median window. */
  instructionsPerRequest: number;
  /** The lowest and highest of the processes' medians. */
  processSpread: [number, number];
  /** Every process's windows, in the order they ran. */
  processes: ProcessWindows[];
}

/** Runs `subject` in one process under callgrind; resolves with its windows. */
async function countOnce(subject: Subject, signal: AbortSignal): Promise<ProcessWindows> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lameduck-callgrind-'));
  const outFile = path.join(dir, 'callgrind.out');
  let child: BenchChild | undefined;
  try {
    child = spawnBenchChild({
      name: `${subject.protocol} ${subject.variant} under callgrind`,
      script: subject.script,
      args: subject.args,
      env: {},
      cpu: undefined,
      // Valgrind runs one thread at a time, which starves V8's background compiler: hot code would
      // stay unoptimised for longer in whichever server has more of it, and count as lameduck's.
      // V8's memory reducer runs full GCs when allocation per millisecond drops, as it does in a
      // server slowed fifty times: with it, one gRPC server's windows ranged from 221,000 to
      // 409,000 instructions per call; without it, within 1 %. At full speed a loaded server
      // never looks idle to it. The young generation is pinned at 16 MB (V8's largest default):
      // V8 sizes it per process as it goes, and a server left with a small one scavenged six
      // times as often, which moved its count by 6 % (58,040 against 61,634 for the same server).
      // Pinned, the collector's share per request repeated to the instruction across processes
      // and servers, and what is left to compare is the code on the request path.
      nodeOptions: [
        '--no-concurrent-recompilation',
        '--no-memory-reducer',
        '--min-semi-space-size=16',
        '--max-semi-space-size=16',
      ],
      launcher: ['valgrind', '--tool=callgrind', '--quiet', `--callgrind-out-file=${outFile}`],
    });
    const ready = await child.waitForLine(
      (line) => line.event === subject.readyEvent,
      AbortSignal.any([signal, AbortSignal.timeout(parameters.startBoundMs)]),
    );
    const port = Number(ready.port);
    for (let round = 0; round < parameters.warmUpRounds; round++) {
      await load(subject, port, parameters.requestsPerRound, signal);
    }
    const windows: number[] = [];
    for (let part = 1; part <= parameters.measuredWindows; part++) {
      await run('callgrind_control', ['--zero', String(child.pid)], { signal });
      const requests = await load(subject, port, parameters.requestsPerWindow, signal);
      if (requests === 0)
        throw new Error(`instructions-per-request: ${subject.variant} answered nothing`);
      await run('callgrind_control', [`--dump=window-${part}`, String(child.pid)], { signal });
      windows.push(Math.round((await dumpedInstructions(outFile, part)) / requests));
    }
    return windows;
  } finally {
    await child?.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

async function runInstructionCounts(
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<BenchmarkReport> {
  // Two at a time, one per core; each subject's processes are spread over the run, so that
  // whatever drifts during it touches every subject alike.
  const windowsOf = new Map<Subject, ProcessWindows[]>(subjects.map((s) => [s, []]));
  const rounds = Math.max(...Object.values(parameters.processesPerSubject));
  for (let round = 1; round <= rounds; round++) {
    const due = subjects.filter((s) => parameters.processesPerSubject[s.protocol] >= round);
    for (let i = 0; i < due.length; i += 2) {
      const pair = due.slice(i, i + 2);
      const done = await Promise.all(pair.map((subject) => countOnce(subject, signal)));
      pair.forEach((subject, j) => {
        const windows = done[j] ?? [];
        windowsOf.get(subject)?.push(windows);
        log(
          `${subject.protocol} ${subject.variant}, process ${round}: ${median(windows)} instructions per request (windows ${windows.join(', ')})`,
        );
      });
    }
  }
  const counts: Count[] = subjects.map((subject) => {
    const processes = windowsOf.get(subject) ?? [];
    const medians = processes.map((windows) => median(windows));
    return {
      protocol: subject.protocol,
      variant: subject.variant,
      instructionsPerRequest: median(medians),
      processSpread: [Math.min(...medians), Math.max(...medians)],
      processes,
    };
  });
  const grpcGoal = { text: '<= 1.10', isMet: (ratio: number) => ratio <= 1.1 };
  const saturatedCallsInFlight =
    parameters.grpcSaturated.channels * parameters.grpcSaturated.callsInFlightPerChannel;
  const of = (protocol: string, variant: string): number =>
    counts.find((c) => c.protocol === protocol && c.variant === variant)?.instructionsPerRequest ??
    Number.NaN;
  const rows: SummaryRow[] = [
    summaryRow('http: instructions per request', of('http', 'with'), of('http', 'without'), {
      goal: { text: '<= 1.03', isMet: (ratio) => ratio <= 1.03 },
    }),
    ...peerNames.map((peer) =>
      summaryRow(
        `http: instructions per request, ${peer}`,
        of('http', peer),
        of('http', 'without'),
      ),
    ),
  ];
  const lightest = peerNames.reduce((best, peer) =>
    of('http', peer) < of('http', best) ? peer : best,
  );
  rows.push(
    summaryRow(
      `http: lameduck over the lightest peer (${lightest})`,
      of('http', 'with'),
      of('http', lightest),
      // Within the spread of the same server's processes (see processesPerSubject).
      { goal: { text: '<= 1, within 0.5 %', isMet: (ratio) => ratio <= 1.005 } },
    ),
    summaryRow('grpc: instructions per call', of('grpc', 'with'), of('grpc', 'without'), {
      goal: grpcGoal,
    }),
    summaryRow(
      `grpc, ${saturatedCallsInFlight} calls in flight: instructions per call`,
      of('grpc-saturated', 'with'),
      of('grpc-saturated', 'without'),
      { goal: grpcGoal },
    ),
  );
  return {
    labels: {
      subject: 'lameduck (or a peer, where the row says so), under callgrind',
      baseline: 'the same server without lameduck',
    },
    parameters,
    figures: Object.fromEntries(counts.map((c) => [`${c.protocol}:${c.variant}`, c])),
    baseline: {
      http: of('http', 'without'),
      grpc: of('grpc', 'without'),
      'grpc-saturated': of('grpc-saturated', 'without'),
    },
    ratios: Object.fromEntries(
      rows.map((row) => [row.metric, roundTo(row.ratio ?? Number.NaN, 4)]),
    ),
    rows,
    notes: [
      'Instructions counted by callgrind between a zero and a dump around each measured window, one request at a time (but in the grpc-saturated rows), after a warm-up long enough for V8 to stop compiling; a process’s figure is the median of its windows, a server’s the median of its processes (five per HTTP server, three per gRPC server; all kept under figures, with processSpread).',
      'No batching (one request per event-loop turn), so the absolute counts are those of a lightly loaded server; read the ratios. node runs with --no-concurrent-recompilation (valgrind runs one thread at a time and would starve the background compiler), --no-memory-reducer (a server slowed by valgrind looks idle to it, and its full GCs would land in random windows) and a young generation pinned at 16 MB (--min/--max-semi-space-size: V8 sizes it per process, and a server left with a small one scavenged six times as often, 6 % more instructions per request for the same code).',
      'grpc-saturated: the same gRPC servers with 4 channels of 16 calls in flight, so that calls queue in the server (valgrind makes it the bottleneck). That is where the calls in flight kept in a Set cost lameduck 1.56 times the bare server, nearly all of it in V8’s garbage collector (src/drain/in-flight-list.ts says why); one call at a time did not show it.',
    ],
  };
}

/** See the file's opening comment. */
export const benchmark: Benchmark = {
  name: 'instructions-per-request',
  description:
    'CPU instructions per request of the overhead benchmarks’ servers (bare, lameduck, peers), counted by callgrind.',
  // Three rounds of five pairs, each pair about three minutes under valgrind, with slack.
  timeoutMs: 3_600_000,
  run: runInstructionCounts,
};
