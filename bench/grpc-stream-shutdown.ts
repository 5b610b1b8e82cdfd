/**
 * How long a gRPC server with 100 open server streams takes to leave after SIGTERM, and how the
 * streams end: lameduck (handlers that honour the drain signal, and handlers that ignore it and are
 * ended after streamGraceMs) against bare grpc-js (`tryShutdown`, alone and with the usual
 * `forceShutdown` timer of streamGraceMs).
 *
 * Each run: start the server (a child process), open 100 `Watch` streams over 4 connections from
 * the bench process, wait until each has a message, SIGTERM, and wait for the exit; the kubelet's
 * SIGKILL comes at the grace period. Then tally each stream's final status.
 */

import { fileURLToPath } from 'node:url';
import { Client, credentials, Metadata, type StatusObject, status } from '@grpc/grpc-js';
import { type Benchmark, type BenchmarkReport, summaryRow } from './benchmark.js';
import { spawnBenchChild } from './child-process.js';
import { helloService } from './fixtures/grpc-hello-service.js';
import { roundTo } from './stats.js';

const grpcHelloServer = fileURLToPath(new URL('./fixtures/grpc-hello-server.ts', import.meta.url));

const parameters = {
  streams: 100,
  connections: 4,
  streamGraceMs: 2000,
  terminationGracePeriodSeconds: 10,
  lameduckEnv: { LAMEDUCK_GRACE_PERIOD_SECONDS: '10', LAMEDUCK_MIN_LAME_DUCK_MS: '1000' },
};
const startTimeoutMs = 20_000;
const watchPath = helloService.Watch?.path ?? '';
const bytes = (value: Buffer): Buffer => value;

type Variant =
  | 'lameduck, handlers honour the signal'
  | 'lameduck, handlers ignore it'
  | 'grpc-js tryShutdown'
  | 'grpc-js tryShutdown + forceShutdown';

const variants: Record<Variant, { args: string[]; env: Record<string, string> }> = {
  'lameduck, handlers honour the signal': {
    args: ['--with-lameduck', '--stream-grace-ms', String(parameters.streamGraceMs)],
    env: parameters.lameduckEnv,
  },
  'lameduck, handlers ignore it': {
    args: [
      '--with-lameduck',
      '--stream-grace-ms',
      String(parameters.streamGraceMs),
      '--streams-ignore-drain',
    ],
    env: parameters.lameduckEnv,
  },
  'grpc-js tryShutdown': { args: [], env: {} },
  'grpc-js tryShutdown + forceShutdown': {
    args: ['--force-after-ms', String(parameters.streamGraceMs)],
    env: {},
  },
};

/** One run's figures. */
interface RunFigures {
  variant: Variant;
  sigtermToExitMs: number;
  exit: string;
  killedByKubelet: boolean;
  /** Streams per final status name (OK, UNAVAILABLE, CANCELLED...). */
  statuses: Record<string, number>;
}

async function runOnce(variant: Variant, signal: AbortSignal): Promise<RunFigures> {
  const { args, env } = variants[variant];
  const child = spawnBenchChild({
    name: `grpc-hello-server (${variant})`,
    script: grpcHelloServer,
    args,
    env,
    cpu: undefined,
  });
  const clients: Client[] = [];
  let kubeletTimer: NodeJS.Timeout | undefined;
  try {
    const ready = await child.waitForLine(
      (line) => line.event === 'grpc-hello-serving',
      AbortSignal.any([signal, AbortSignal.timeout(startTimeoutMs)]),
    );
    const target = `127.0.0.1:${Number(ready.port)}`;
    for (let i = 0; i < parameters.connections; i++) {
      clients.push(
        new Client(target, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }),
      );
    }
    const streams = Array.from({ length: parameters.streams }, (_, i) => {
      const client = clients[i % clients.length] as Client;
      const call = client.makeServerStreamRequest(
        watchPath,
        bytes,
        bytes,
        Buffer.from('watch'),
        new Metadata(),
        {},
      );
      const firstMessage = new Promise<void>((resolve) => call.once('data', () => resolve()));
      call.on('data', () => {});
      call.on('error', () => {});
      const ended = new Promise<StatusObject>((resolve) => call.once('status', resolve));
      return { firstMessage, ended };
    });
    await Promise.all(streams.map((s) => s.firstMessage));
    signal.throwIfAborted();

    const sigtermAtMs = performance.now();
    child.sendSignal('SIGTERM');
    let killedByKubelet = false;
    kubeletTimer = setTimeout(() => {
      killedByKubelet = child.sendSignal('SIGKILL');
    }, parameters.terminationGracePeriodSeconds * 1000);
    const exit = await child.exited;
    const endings = await Promise.all(streams.map((s) => s.ended));
    const statuses: Record<string, number> = {};
    for (const s of endings) {
      const name = status[s.code] ?? String(s.code);
      statuses[name] = (statuses[name] ?? 0) + 1;
    }
    return {
      variant,
      sigtermToExitMs: Math.round(exit.atMs - sigtermAtMs),
      exit: exit.signal ?? String(exit.code),
      killedByKubelet,
      statuses,
    };
  } finally {
    clearTimeout(kubeletTimer);
    for (const client of clients) client.close();
    await child.kill();
  }
}

async function runGrpcStreamShutdown(
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<BenchmarkReport> {
  const runs: RunFigures[] = [];
  for (const variant of Object.keys(variants) as Variant[]) {
    const figures = await runOnce(variant, signal);
    runs.push(figures);
    log(
      `${variant.padEnd(38)} SIGTERM->exit ${figures.sigtermToExitMs} ms, exit ${figures.exit}` +
        `, statuses ${JSON.stringify(figures.statuses)}`,
    );
  }
  const find = (variant: Variant) => runs.find((r) => r.variant === variant) as RunFigures;
  const honour = find('lameduck, handlers honour the signal');
  const ignore = find('lameduck, handlers ignore it');
  const force = find('grpc-js tryShutdown + forceShutdown');
  const tryOnly = find('grpc-js tryShutdown');
  const okStreams = (r: RunFigures) => r.statuses.OK ?? 0;
  const cancelledStreams = (r: RunFigures) => r.statuses.CANCELLED ?? 0;
  const rows = [
    summaryRow(
      'SIGTERM to exit, streams end on the signal (ms)',
      honour.sigtermToExitMs,
      force.sigtermToExitMs,
    ),
    summaryRow(
      'SIGTERM to exit, streams ignore the signal (ms)',
      ignore.sigtermToExitMs,
      force.sigtermToExitMs,
    ),
    summaryRow('streams ended OK, on the signal (of 100)', okStreams(honour), okStreams(force), {
      hasRatio: false,
    }),
    summaryRow(
      'streams ended CANCELLED, ignoring (of 100)',
      cancelledStreams(ignore),
      cancelledStreams(force),
      { hasRatio: false },
    ),
  ];
  return {
    labels: {
      subject: `lameduck drainGrpcServer (min lame duck 1 s, streamGraceMs ${parameters.streamGraceMs})`,
      baseline: `grpc-js tryShutdown + forceShutdown after ${parameters.streamGraceMs} ms`,
    },
    parameters: { ...parameters },
    figures: { honour, ignore },
    baseline: { force, tryShutdownOnly: tryOnly },
    ratios: {
      sigtermToExitHonour: roundTo(honour.sigtermToExitMs / force.sigtermToExitMs, 4),
      sigtermToExitIgnore: roundTo(ignore.sigtermToExitMs / force.sigtermToExitMs, 4),
      ignoreDrainOverStreamGrace: roundTo(ignore.sigtermToExitMs / parameters.streamGraceMs, 4),
    },
    rows,
    notes: [
      "One run per variant. lameduck's SIGTERM-to-exit includes its lame-duck wait (1 s minimum, then the quiet period), during which it keeps serving; bare grpc-js has none and would fail calls under load (see shutdown-time).",
      `grpc-js tryShutdown alone: SIGTERM to exit ${tryOnly.sigtermToExitMs} ms (${tryOnly.killedByKubelet ? `never completed; the kubelet's SIGKILL at ${parameters.terminationGracePeriodSeconds} s ended it` : 'completed'}), statuses ${JSON.stringify(tryOnly.statuses)}.`,
      'Retry policies retry UNAVAILABLE, not CANCELLED: streams ended CANCELLED are lost to their callers.',
    ],
  };
}

/** See the file's opening comment. */
export const benchmark: Benchmark = {
  name: 'grpc-stream-shutdown',
  description:
    'SIGTERM-to-exit and stream outcomes with 100 open server streams: lameduck against bare grpc-js tryShutdown/forceShutdown.',
  // Runs of about 1.5, 3.5, 10 and 2 s plus start-ups; the bound leaves room for slow machines.
  timeoutMs: 90_000,
  run: runGrpcStreamShutdown,
};
