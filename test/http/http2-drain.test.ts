/**
 * HTTP/2 services get SIGTERM while streams are open.
 *
 * Secure HTTP/2 under load, through a kube-proxy-like TCP proxy:
 * 1. Make a throwaway certificate; start instances A and B (FIXTURE_PROTOCOL=h2, 50 ms handler
 *    delay, so that streams are in flight when the GOAWAY goes out) and a proxy in front of both.
 * 2. Run a steady load (300 req/s over 8 h2 sessions through the proxy; a session that gets a
 *    GOAWAY is replaced by a new one) until both serve.
 * 3. SIGTERM A; 400 ms later remove A from the proxy's endpoints.
 * 4. A sends GOAWAY at the minimum wait, exits 0 soon after its traffic went quiet and reports
 *    nothing forced.
 * 5. B takes the load; no request failed, the client saw no error at all (no reset stream, no
 *    session error), and every stream open on A when its GOAWAY arrived completed (or was refused
 *    unprocessed with REFUSED_STREAM and sent again).
 *
 * Cleartext HTTP/2 with a raw node:http2 session holding long streams:
 * 1. Start one h2c instance with a short minimum lame-duck wait (300 ms).
 * 2. Open a session and several `/slow?ms=800` streams; wait until the server has them all.
 * 3. SIGTERM the instance.
 * 4. The session receives the GOAWAY notice (NO_ERROR, last stream id 2^31-1) while the streams
 *    are still open.
 * 5. Every stream completes with 200, then the session closes without error.
 * 6. The server exits 0.
 */
import assert from 'node:assert/strict';
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect as connectHttp2,
  constants as h2,
} from 'node:http2';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitForInFlight } from '../helpers/admin-in-flight.js';
import { startListeningService } from '../helpers/child-service.js';
import { startHttp2Load } from '../helpers/http2-load.js';
import {
  assertBTookOver,
  assertDrainedSoonAfterQuiet,
  deletePodA,
  startPodPair,
  waitUntilBothServe,
} from '../helpers/pod-pair.js';
import { createTestCertificate } from '../helpers/tls-cert.js';

const fixture = fileURLToPath(new URL('../fixtures/http-server.ts', import.meta.url));
const propagationMs = 400;
const minLameDuckMs = 500;
const handlerDelayMs = 50;

test('SIGTERM under secure HTTP/2 load: streams open at GOAWAY complete, no resets, exit 0, B takes over', async (t) => {
  // 1. Make a certificate; start A and B and a proxy in front of both.
  const cert = await createTestCertificate();
  t.after(() => cert.cleanup());
  const pair = await startPodPair(t, fixture, {
    FIXTURE_PROTOCOL: 'h2',
    FIXTURE_TLS_KEY: cert.keyPath,
    FIXTURE_TLS_CERT: cert.certPath,
    FIXTURE_DELAY_MS: String(handlerDelayMs),
    LAMEDUCK_MIN_LAME_DUCK_MS: String(minLameDuckMs),
  });
  const { a } = pair;

  // 2. Run a steady HTTP/2 load until both instances serve. Not undici: 7.30.2 fails every
  // stream still open when a GOAWAY arrives, even NO_ERROR with last stream id 2^31-1
  // (nodejs/undici#5089, fixed upstream by #5090), and can leave requests unsettled afterwards.
  const load = startHttp2Load({
    origin: `https://127.0.0.1:${pair.proxy.port}`,
    ratePerSecond: 300,
    sessions: 8,
    connectOptions: { ca: cert.cert },
  });
  t.after(() => load.stop());
  await waitUntilBothServe(pair, load.byPid);

  // 3. SIGTERM A; remove it from the endpoints after the propagation delay.
  const sigtermAtMs = deletePodA(t, pair, propagationMs);

  // 4. A sends GOAWAY once the minimum wait has passed, drains and exits 0 with nothing forced,
  // soon after its traffic went quiet.
  const lastWorkEndsMs = Math.max(minLameDuckMs, propagationMs) + handlerDelayMs;
  const { exitAfterMs, quietPeriodMs } = await assertDrainedSoonAfterQuiet(
    a,
    sigtermAtMs,
    lastWorkEndsMs,
  );
  const nudged = await a.waitForLine((l) => l.event === 'connections-nudged');
  assert.ok(
    Number(nudged.afterMs) < minLameDuckMs + 200,
    `GOAWAY sent ${nudged.afterMs} ms after SIGTERM`,
  );
  t.diagnostic(
    `A exited ${Math.round(exitAfterMs)} ms after SIGTERM; quiet period ${quietPeriodMs} ms`,
  );

  // 5. B takes the load; nothing failed, no error of any kind, and each stream open on A's
  // sessions when their GOAWAY arrived completed, unless A refused it unprocessed (then it was
  // sent again, as RFC 9113 section 8.7 allows).
  await assertBTookOver(pair, load.byPid);
  const report = await load.stop();
  assert.deepEqual(report.errors, []);
  assert.equal(report.failed, 0);
  assert.ok(report.goaways > 0, 'the sessions on A received a GOAWAY');
  assert.ok(report.completedAfterGoaway > 0, 'streams open when the GOAWAY arrived completed');
  assert.equal(
    report.completedAfterGoaway + report.refusedAfterGoaway,
    report.streamsOpenAtGoaway,
    'every stream open at the GOAWAY either completed or was refused unprocessed',
  );
  t.diagnostic(
    `${report.goaways} sessions got GOAWAY with ${report.streamsOpenAtGoaway} streams open; ` +
      `${report.refusedAndRetried} streams refused unprocessed and sent again; ` +
      `${report.sessionsOpened} sessions opened in all`,
  );
});

test('SIGTERM with long h2c streams open: GOAWAY first, every stream ends 200, session closes cleanly, exit 0', async (t) => {
  const streamCount = 4;
  const slowMs = 800;
  // 1. Start one h2c instance with a short minimum lame-duck wait.
  const service = await startListeningService(fixture, {
    FIXTURE_PROTOCOL: 'h2c',
    LAMEDUCK_MIN_LAME_DUCK_MS: '300',
  });
  t.after(() => service.kill());

  // 2. Open a session and several slow streams; wait until the server has them all.
  const session: ClientHttp2Session = connectHttp2(`http://127.0.0.1:${service.port}`);
  t.after(() => {
    if (!session.destroyed) session.destroy();
  });
  const sessionErrors: Error[] = [];
  session.on('error', (error) => sessionErrors.push(error));
  const goaway = new Promise<{ code: number; lastStreamId: number; atMs: number }>((resolve) => {
    session.once('goaway', (code, lastStreamId) =>
      resolve({ code, lastStreamId, atMs: performance.now() }),
    );
  });
  const sessionClosed = new Promise<number>((resolve) => {
    session.once('close', () => resolve(performance.now()));
  });
  await new Promise<void>((resolve, reject) => {
    session.once('connect', () => resolve());
    session.once('error', reject);
  });
  const streams = Array.from({ length: streamCount }, () =>
    collect(session.request({ ':path': `/slow?ms=${slowMs}` })),
  );
  await waitForInFlight(service.adminPort, streamCount);

  // 3. SIGTERM the instance.
  service.child.kill('SIGTERM');

  // 4. The GOAWAY notice arrives while the streams are still open.
  const notice = await goaway;
  assert.equal(notice.code, h2.NGHTTP2_NO_ERROR);
  assert.equal(notice.lastStreamId, 2 ** 31 - 1, 'the first GOAWAY is the shutdown notice');
  const endedBeforeGoaway = (await Promise.all(streams.map((s) => s.endedAtMs))).filter(
    (ms) => ms < notice.atMs,
  );
  assert.deepEqual(endedBeforeGoaway, [], 'every stream was still open when the GOAWAY arrived');

  // 5. Every stream completes with 200; then the session closes without error.
  const results = await Promise.all(streams.map((s) => s.result));
  for (const result of results) {
    assert.equal(result.status, 200);
    assert.match(result.body, new RegExp(`^ok ${service.pid}\\n$`));
  }
  await sessionClosed;
  assert.deepEqual(sessionErrors, []);

  // 6. The server exits 0.
  const exit = await service.exited;
  assert.equal(exit.code, 0, service.stderr());
  const stopped = await service.waitForLine(
    (l) => l.event === 'participant-stopped' && l.name === 'http',
  );
  assert.deepEqual(stopped.forcedWork, []);
});

/** Collects a stream's status, body and end time; rejects on a stream error or reset. */
function collect(stream: ClientHttp2Stream) {
  let resolveEnded: (ms: number) => void = () => {};
  const endedAtMs = new Promise<number>((resolve) => {
    resolveEnded = resolve;
  });
  const result = new Promise<{ status: number; body: string }>((resolve, reject) => {
    let status = 0;
    let body = '';
    stream.setEncoding('utf8');
    stream.on('response', (headers) => {
      status = Number(headers[':status']);
    });
    stream.on('data', (chunk: string) => {
      body += chunk;
    });
    stream.on('error', reject);
    stream.on('close', () => {
      resolveEnded(performance.now());
      if (stream.rstCode !== h2.NGHTTP2_NO_ERROR)
        reject(new Error(`stream reset with code ${stream.rstCode}`));
      else resolve({ status, body });
    });
  });
  return { result, endedAtMs };
}
