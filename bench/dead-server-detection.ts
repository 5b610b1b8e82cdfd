/**
 * How long a client keeps sending calls to a server that died (SIGKILL) or hung (SIGSTOP), and
 * how many of its calls fail meanwhile: lameduck's default client (`etcd:///echo` through
 * `registerEtcdResolver` with the method marked idempotent, and `etcdChannelOptions`' 1 s
 * keepalive) against a plain grpc-js round_robin channel over the same three addresses (no
 * keepalive, no retry policy). Both load the same servers at the same time.
 *
 * Each run: a fresh etcd and three fresh echo servers (`test/fixtures/grpc-echo-server.ts`)
 * registered in it, so that no key or connection of an earlier run lingers; both loads at
 * 300 calls/s (2 s deadline, 50 ms handler) until every server answers both; one more second of
 * steady load; then one server gets the signal and both loads run on for `observeMs`.
 *
 * Detection time, per client: from the signal to the start of the last call attempt that the
 * client's channel sent to the victim, as grpc-js channelz records it on the victim's subchannel
 * (every attempt counts, retries included, so a call that failed over to another server after a
 * first attempt on the victim still counts). 0 when no attempt started after the signal. Not
 * detected when attempts were still starting in the last `stillSendingMs` of the window.
 */

import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ChannelOptions } from '@grpc/grpc-js';
import { type GrpcLoad, startGrpcLoad } from '../src/drill/runtime/grpc-load.js';
import type { Load } from '../src/drill/runtime/open-loop.js';
import { type LocalEtcd, startLocalEtcd } from '../src/etcd/index.js';
import {
  type EtcdResolverRegistration,
  etcdChannelOptions,
  registerEtcdResolver,
} from '../src/grpc/etcd-resolver.js';
import type { Logger } from '../src/log/logger.js';
import { decodeEchoReply, echoMethods, encodeEchoRequest } from '../test/helpers/grpc-echo.js';
import { waitUntil } from '../test/helpers/wait-until.js';
import { type Benchmark, type BenchmarkReport, summaryRow } from './benchmark.js';
import { SubchannelHistory } from './channelz-subchannels.js';
import { type BenchChild, spawnBenchChild } from './child-process.js';
import { median, roundTo } from './stats.js';

const grpcEchoServer = fileURLToPath(
  new URL('../test/fixtures/grpc-echo-server.ts', import.meta.url),
);

const parameters = {
  servers: 3,
  ratePerSecondPerClient: 300,
  deadlineMs: 2000,
  handlerDelayMs: 50,
  // Steady load after every server has answered both clients, so that the keepalive timers
  // run in their steady state when the signal comes.
  steadyBeforeSignalMs: 1000,
  // Plus a random part, so that the signal lands at a random point of the keepalive cycle:
  // without it every run hits about the same point and the runs agree more than they should.
  signalJitterMs: 1000,
  // Long against the 0.5-1 s expected of the 500 ms keepalive, and about the servers' 10 s lease, so
  // that lameduck's channel usually sees etcd drop the victim too (after the keepalive did).
  observeMs: 10_000,
  // Attempts on the victim in the last this-long of the window: the client never stopped.
  stillSendingMs: 2000,
  runsPerScenario: 3,
  leaseTtlSeconds: 10,
  // Channelz forgets a subchannel once the channel drops it: read it often enough to keep its
  // last figures. The times themselves come from channelz, not from this period.
  channelzPollMs: 100,
  warmUpCallsPerServer: 30,
};
const startTimeoutMs = 30_000;
const idempotentService = 'lameduck.example.v1.Echo';
const roundRobin = JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] });
// Each channel its own connections: the two clients must not share a transport, or one's
// keepalive would rescue the other.
const ownConnections: ChannelOptions = { 'grpc.use_local_subchannel_pool': 1 };

type Scenario = 'SIGKILL' | 'SIGSTOP';
type ClientName = 'lameduck' | 'baseline';
const scenarios: readonly Scenario[] = ['SIGKILL', 'SIGSTOP'];

/** One client's figures in one run. */
interface ClientFigures {
  /** Signal to the last attempt started on the victim; `null`: still sending at the end. */
  detectionMs: number | null;
  /** Calls that failed after the signal (including those still settling at the stop). */
  failedCalls: number;
  /** Failed calls per gRPC status. */
  failureCodes: Record<string, number>;
  /** Signal to the last failed call; `null` without failures. */
  lastFailureMs: number | null;
  /** Call attempts the channel started on the victim after the signal. */
  attemptsToVictimAfterSignal: number;
  /** Signal to when the channel stopped listing the victim (etcd dropped it); `null`: never. */
  victimDroppedMs: number | null;
  /** Calls issued in the whole run, and failed before the signal (expected 0). */
  sent: number;
  failedBeforeSignal: number;
  cutOffAtStop: number;
}

/** One run's figures. */
interface RunFigures {
  scenario: Scenario;
  run: number;
  lameduck: ClientFigures;
  baseline: ClientFigures;
  /** Warnings the etcd resolver logged during the run (expected none). */
  resolverWarnings: string[];
}

// ---- servers, etcd, loads ----

/** Resolver logs: warnings kept for the notes, the rest dropped (the bench's output stays short). */
function warningLogger(warnings: string[]): Logger {
  const keep = (fields: object, message?: string): void => {
    warnings.push(message ?? JSON.stringify(fields));
  };
  return { debug: () => {}, info: () => {}, warn: keep, error: keep };
}

function spawnEchoServer(etcd: LocalEtcd, index: number): BenchChild {
  return spawnBenchChild({
    name: `grpc-echo-server ${index}`,
    script: grpcEchoServer,
    args: [],
    env: {
      FIXTURE_ETCD_ENDPOINTS: etcd.endpoints.join(','),
      FIXTURE_LEASE_TTL_SECONDS: String(parameters.leaseTtlSeconds),
      LAMEDUCK_ADMIN_HOST: '127.0.0.1',
      LAMEDUCK_ADMIN_PORT: '0',
      LAMEDUCK_GRACE_PERIOD_SECONDS: '10',
    },
    cpu: undefined,
  });
}

/** Waits until `server` listens and is registered in etcd; resolves with its address. */
async function waitRegistered(server: BenchChild, signal: AbortSignal): Promise<string> {
  const bounded = AbortSignal.any([signal, AbortSignal.timeout(startTimeoutMs)]);
  const listening = await server.waitForLine((l) => l.event === 'fixture-listening', bounded);
  await server.waitForLine((l) => l.event === 'registered', bounded);
  return `127.0.0.1:${Number(listening.port)}`;
}

/** An open-loop load through its own grpc-js channel, as the drill runs it. */
function startClientLoad(
  target: string,
  channelOptions: ChannelOptions,
  signal: AbortSignal,
): GrpcLoad {
  return startGrpcLoad(
    {
      target,
      method: echoMethods.unary,
      request: encodeEchoRequest({ message: 'load', delay_ms: parameters.handlerDelayMs }),
      pidOf: (response) => String(decodeEchoReply(response).pid),
      ratePerSecond: parameters.ratePerSecondPerClient,
      deadlineMs: parameters.deadlineMs,
      channelOptions: { ...channelOptions, ...ownConnections },
    },
    signal,
  );
}

// ---- one run ----

/** What a client's load and channel showed, turned into {@link ClientFigures}. */
async function clientFigures(
  load: GrpcLoad,
  history: SubchannelHistory,
  at: { signalEpochMs: number; signalPerfMs: number; attemptsBefore: number },
): Promise<ClientFigures> {
  // Calls in flight at the end settle within their deadline: wait a little past it.
  const report = await load.stop(parameters.deadlineMs + 500);
  const after = report.failures.filter((f) => f.atMs >= at.signalPerfMs);
  const failureCodes: Record<string, number> = {};
  for (const f of after) failureCodes[f.code] = (failureCodes[f.code] ?? 0) + 1;
  const lastAttemptEpochMs = history.lastCallStartedToVictimEpochMs() ?? at.signalEpochMs;
  const stillSending =
    lastAttemptEpochMs > at.signalEpochMs + parameters.observeMs - parameters.stillSendingMs;
  const lastFailureAtMs = after.at(-1)?.atMs;
  const droppedAtMs = history.victimDroppedAtMs();
  return {
    detectionMs: stillSending ? null : Math.max(0, lastAttemptEpochMs - at.signalEpochMs),
    failedCalls: after.length,
    failureCodes,
    lastFailureMs:
      lastFailureAtMs === undefined ? null : Math.round(lastFailureAtMs - at.signalPerfMs),
    attemptsToVictimAfterSignal: history.callsStartedToVictim() - at.attemptsBefore,
    victimDroppedMs: droppedAtMs === undefined ? null : Math.round(droppedAtMs - at.signalPerfMs),
    sent: report.sent,
    failedBeforeSignal: report.failures.length - after.length,
    cutOffAtStop: report.cutOffAtStop,
  };
}

/** Polls both channels' subchannels until `untilMs` (`performance.now()`). */
async function observe(
  histories: readonly SubchannelHistory[],
  untilMs: number,
  signal: AbortSignal,
): Promise<void> {
  while (performance.now() < untilMs) {
    await delay(Math.min(parameters.channelzPollMs, untilMs - performance.now()), undefined, {
      signal,
    });
    await Promise.all(histories.map((h) => h.poll()));
  }
}

async function runOnce(scenario: Scenario, run: number, signal: AbortSignal): Promise<RunFigures> {
  const etcd = await startLocalEtcd({ signal });
  const servers: BenchChild[] = [];
  const loads: GrpcLoad[] = [];
  let resolver: EtcdResolverRegistration | undefined;
  const warnings: string[] = [];
  try {
    for (let i = 0; i < parameters.servers; i++) servers.push(spawnEchoServer(etcd, i));
    const addresses = await Promise.all(servers.map((s) => waitRegistered(s, signal)));
    resolver = registerEtcdResolver({
      endpoints: etcd.endpoints,
      idempotentMethods: [{ service: idempotentService }],
      logger: warningLogger(warnings),
    });
    const lameduck = startClientLoad('etcd:///echo', etcdChannelOptions, signal);
    loads.push(lameduck);
    const baseline = startClientLoad(
      `ipv4:${addresses.join(',')}`,
      { 'grpc.service_config': roundRobin },
      signal,
    );
    loads.push(baseline);
    const answered = (load: Load, server: BenchChild): number =>
      load.byPid.get(String(server.pid)) ?? 0;
    await waitUntil(
      'answers from every server to both clients',
      () =>
        servers.every((s) => loads.every((l) => answered(l, s) >= parameters.warmUpCallsPerServer)),
      startTimeoutMs,
      signal,
    );
    const jitterMs = Math.round(Math.random() * parameters.signalJitterMs);
    await delay(parameters.steadyBeforeSignalMs + jitterMs, undefined, { signal });

    const [victim] = servers;
    const [victimAddress] = addresses;
    if (victim === undefined || victimAddress === undefined) throw new Error('no server started');
    const histories = loads.map((l) => new SubchannelHistory(l.channelzId, victimAddress));
    await Promise.all(histories.map((h) => h.poll()));
    const attemptsBefore = histories.map((h) => h.callsStartedToVictim());
    const signalEpochMs = Date.now();
    const signalPerfMs = performance.now();
    victim.sendSignal(scenario);
    await observe(histories, signalPerfMs + parameters.observeMs, signal);

    const [lameduckFigures, baselineFigures] = await Promise.all(
      loads.map((load, i) =>
        clientFigures(load, histories[i] as SubchannelHistory, {
          signalEpochMs,
          signalPerfMs,
          attemptsBefore: attemptsBefore[i] ?? 0,
        }),
      ),
    );
    if (lameduckFigures === undefined || baselineFigures === undefined) {
      throw new Error('a load went missing');
    }
    return {
      scenario,
      run,
      lameduck: lameduckFigures,
      baseline: baselineFigures,
      resolverWarnings: [...warnings],
    };
  } finally {
    await Promise.all(loads.map((l) => l.stop(0)));
    // A stopped process dies of SIGKILL too, but resuming it first lets it go the usual way.
    for (const server of servers) server.sendSignal('SIGCONT');
    await Promise.all(servers.map((s) => s.kill()));
    await resolver?.close();
    await etcd.stop();
  }
}

// ---- the report ----

function describeRun(figures: RunFigures): string {
  const side = (f: ClientFigures): string =>
    `detection ${f.detectionMs === null ? 'never' : `${f.detectionMs} ms`}, ` +
    `${f.failedCalls} failed ${JSON.stringify(f.failureCodes)}, ` +
    `${f.attemptsToVictimAfterSignal} attempts to the victim`;
  return `${figures.scenario} run ${figures.run}: lameduck ${side(figures.lameduck)}; baseline ${side(figures.baseline)}`;
}

/** Median over runs of one client's figures in one scenario. */
interface ScenarioSummary {
  /** Median detection; `null` when most runs never stopped sending to the victim. */
  detectionMs: number | null;
  detectedRuns: number;
  failedCalls: number;
  attemptsToVictimAfterSignal: number;
  runs: number;
}

function summarise(runs: readonly RunFigures[], client: ClientName): ScenarioSummary {
  const figures = runs.map((r) => r[client]);
  // A run that never stopped counts as infinitely long: the median says what most runs did.
  const detection = median(figures.map((f) => f.detectionMs ?? Number.POSITIVE_INFINITY));
  return {
    detectionMs: Number.isFinite(detection) ? detection : null,
    detectedRuns: figures.filter((f) => f.detectionMs !== null).length,
    failedCalls: median(figures.map((f) => f.failedCalls)),
    attemptsToVictimAfterSignal: median(figures.map((f) => f.attemptsToVictimAfterSignal)),
    runs: figures.length,
  };
}

function ratio(value: number | null, baseline: number | null): number | undefined {
  if (value === null || baseline === null || baseline === 0) return undefined;
  return roundTo(value / baseline, 4);
}

function scenarioRows(scenario: Scenario, subject: ScenarioSummary, baseline: ScenarioSummary) {
  const never = parameters.observeMs;
  const victim = scenario === 'SIGKILL' ? 'dead' : 'hung';
  return [
    summaryRow(
      `${scenario}: signal to last call sent to the ${victim} server (ms, ${never.toLocaleString('en-US')} = never)`,
      subject.detectionMs ?? never,
      baseline.detectionMs ?? never,
      // A client that never stopped has no detection time to divide by.
      { hasRatio: subject.detectionMs !== null && baseline.detectionMs !== null },
    ),
    summaryRow(
      `${scenario}: failed calls (${never / 1000} s of load after the signal)`,
      subject.failedCalls,
      baseline.failedCalls,
    ),
  ];
}

type Summaries = Record<Scenario, Record<ClientName, ScenarioSummary>>;

function buildRatios(summaries: Summaries): Record<string, number> {
  const ratios: Record<string, number> = {};
  for (const s of scenarios) {
    const { lameduck, baseline } = summaries[s];
    const detection = ratio(lameduck.detectionMs, baseline.detectionMs);
    if (detection !== undefined) ratios[`${s}DetectionMs`] = detection;
    else if (lameduck.detectionMs !== null && baseline.detectionMs === null) {
      // The baseline never stopped: the window is a lower bound of its detection time.
      ratios[`${s}DetectionMsAtMost`] = roundTo(lameduck.detectionMs / parameters.observeMs, 4);
    }
    const failed = ratio(lameduck.failedCalls, baseline.failedCalls);
    if (failed !== undefined) ratios[`${s}FailedCalls`] = failed;
  }
  return ratios;
}

/** `min to max`, or `none` for no values. */
function span(values: readonly number[], unit: string): string {
  if (values.length === 0) return 'none';
  const low = Math.min(...values);
  const high = Math.max(...values);
  return low === high ? `${low} ${unit}` : `${low} to ${high} ${unit}`;
}

function buildNotes(runs: readonly RunFigures[], summaries: Summaries): string[] {
  const of = (scenario: Scenario, client: ClientName) =>
    runs.filter((r) => r.scenario === scenario).map((r) => r[client]);
  const detections = (scenario: Scenario, client: ClientName) =>
    of(scenario, client).flatMap((f) => (f.detectionMs === null ? [] : [f.detectionMs]));
  const dropped = runs.flatMap((r) =>
    r.lameduck.victimDroppedMs === null ? [] : [r.lameduck.victimDroppedMs],
  );
  const warnings = runs.flatMap((r) => r.resolverWarnings);
  const hung = summaries.SIGSTOP;
  return [
    `Detection time: signal to the start of the last call attempt the channel sent to the victim, from grpc-js channelz (the victim's subchannel's last_call_started_timestamp, ms resolution; retry attempts count). 0 = no attempt after the signal; ${parameters.observeMs} in the table = attempts still starting in the last ${parameters.stillSendingMs / 1000} s of the ${parameters.observeMs / 1000} s window: never detected.`,
    `Medians of ${parameters.runsPerScenario} runs per scenario, each with a fresh etcd and fresh servers. Both clients load the same ${parameters.servers} servers at once, ${parameters.ratePerSecondPerClient} calls/s each, ${parameters.deadlineMs} ms deadline, ${parameters.handlerDelayMs} ms handler; each client has its own connections.`,
    `SIGKILL: the kernel closes a killed process's sockets at once, so on loopback both clients see the connection drop within the event loop's noise (lameduck ${span(detections('SIGKILL', 'lameduck'), 'ms')}, baseline ${span(detections('SIGKILL', 'baseline'), 'ms')}): the detection ratio says nothing beyond "both immediate". The difference is in the calls in flight on the victim: the baseline fails them (UNAVAILABLE), lameduck's retry policy sends them to another server. A host that dies or drops off the network closes nothing: it looks like SIGSTOP.`,
    `SIGSTOP: lameduck stopped sending to the hung server after ${span(detections('SIGSTOP', 'lameduck'), 'ms')} (a keepalive ping every 500 ms, 500 ms to answer: between 0.5 and 1 s is expected). It sent ${hung.lameduck.attemptsToVictimAfterSignal} attempts there meanwhile (median) and ${hung.lameduck.failedCalls} calls failed: once the keepalive closed the connection, the retry policy (UNAVAILABLE) sent them to another server within their deadline.`,
    `SIGSTOP, baseline: stopped sending to the hung server in ${hung.baseline.detectedRuns} of ${hung.baseline.runs} runs.${hung.baseline.detectedRuns === 0 ? ' Without keepalive nothing closes the connection (the kernel still acknowledges what is sent), so round_robin keeps picking the hung server and every third call waits out its deadline.' : ''}`,
    "Failed calls: every call of the client that failed after the signal, counted until the calls sent in the window have settled. A client that never detects a hung server fails about a third of its calls, so the baseline's SIGSTOP count grows with the window's length; the ratio holds for this window only.",
    `etcd dropped the victim from lameduck's channel ${span(dropped, 'ms')} after the signal (lease TTL ${parameters.leaseTtlSeconds} s, channelz polled every ${parameters.channelzPollMs} ms): detection before that is the keepalive's and the connection's doing, not etcd's. Resolver warnings: ${warnings.length === 0 ? 'none' : warnings.join('; ')}.`,
  ];
}

function buildReport(runs: readonly RunFigures[]): BenchmarkReport {
  const of = (scenario: Scenario) => runs.filter((r) => r.scenario === scenario);
  const summaries = Object.fromEntries(
    scenarios.map((s) => [
      s,
      { lameduck: summarise(of(s), 'lameduck'), baseline: summarise(of(s), 'baseline') },
    ]),
  ) as Summaries;
  const perClient = (client: ClientName) => ({
    SIGKILL: summaries.SIGKILL[client],
    SIGSTOP: summaries.SIGSTOP[client],
    runs: runs.map((r) => ({ scenario: r.scenario, run: r.run, ...r[client] })),
  });
  return {
    labels: {
      subject:
        'lameduck client: etcd:///echo via registerEtcdResolver (idempotent: retry on UNAVAILABLE) + etcdChannelOptions (500 ms keepalive)',
      baseline: 'grpc-js round_robin over ipv4:p1,p2,p3 (no keepalive, no retry policy)',
    },
    parameters: { ...parameters, order: 'SIGKILL, SIGSTOP; repeated each run' },
    figures: perClient('lameduck'),
    baseline: perClient('baseline'),
    ratios: buildRatios(summaries),
    rows: scenarios.flatMap((s) => scenarioRows(s, summaries[s].lameduck, summaries[s].baseline)),
    notes: buildNotes(runs, summaries),
  };
}

async function runDeadServerDetection(
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<BenchmarkReport> {
  const runs: RunFigures[] = [];
  for (let run = 1; run <= parameters.runsPerScenario; run++) {
    for (const scenario of scenarios) {
      const figures = await runOnce(scenario, run, signal);
      runs.push(figures);
      log(describeRun(figures));
    }
  }
  return buildReport(runs);
}

/** See the file's opening comment. */
export const benchmark: Benchmark = {
  name: 'dead-server-detection',
  description:
    'Time to stop sending to a SIGKILLed or SIGSTOPped server, and failed calls: lameduck etcd:/// client against a plain grpc-js round_robin channel.',
  // 6 runs of about 15 s (etcd, servers and warm-up ~3 s, window 10 s, drain up to 2.5 s): ~90 s
  // here; the bound leaves room for slow machines.
  timeoutMs: 240_000,
  run: runDeadServerDetection,
};
