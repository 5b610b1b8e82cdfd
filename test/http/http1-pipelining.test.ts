/**
 * HTTP/1.1 pipelining while the server leaves: every request that was read is answered, or it is
 * never counted as in flight.
 *
 * In a child process, driven by SIGTERM:
 * 1. Start the fixture (h1) with a short minimum lame-duck wait; SIGTERM it.
 * 2. During lame duck, pipeline `GET /a`, `/b`, `/c` on one connection.
 * 3. All three are answered in order; only the last says `Connection: close`; then the server
 *    closes the connection.
 * 4. The process exits 0 long before its budget, with nothing forced or cut short.
 *
 * In process, with real sockets:
 * 5. Draining: a connection busy with `/a` when `stop()` is called gets `/b` and `/c` pipelined
 *    behind it; all three are answered, the last with `Connection: close`, and nothing is left in
 *    flight when the connection closes.
 * 6. A handler that answers at once, in lame duck: `/a`'s answer commits `Connection: close`
 *    before the parser reads `/b` and `/c` from the same packet. The server must not process
 *    those (RFC 9112 section 9.6; the client retries them, section 9.3.2): the handler never sees
 *    them and they are never counted in flight. The same while serving, when the application
 *    answers `/a` with its own `Connection: close`.
 * 7. A client that drops its connection with requests queued behind a busy one: none of them is
 *    left in flight (Node never closes the responses it had queued).
 * 8. Requests pipelined while serving, when requests are only counted, and still unanswered when
 *    lame duck (or draining) begins: all three are answered, only the last with
 *    `Connection: close`; nothing is forced or left in flight.
 */
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startListeningService } from '../helpers/child-service.js';
import {
  deferred,
  openRawConnection,
  startDrainedServer,
  stopAtDeadline,
} from '../helpers/drained-server.js';

const fixture = fileURLToPath(new URL('../fixtures/http-server.ts', import.meta.url));
const pipelined = ['/a', '/b', '/c'].map((path) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);

/** The status line and headers of each response in `text`, in order. */
function responseHeads(text: string): string[] {
  return [...text.matchAll(/HTTP\/1\.1 [\s\S]*?\r\n\r\n/g)].map((m) => m[0]);
}

/** The value of the `Connection` header in a response head. */
function connectionHeader(head: string): string | undefined {
  return /\r\nconnection: *([^\r]*)\r\n/i.exec(head)?.[1]?.toLowerCase();
}

test('requests pipelined during lame duck are all answered, the last with close; exit 0 soon', async (t) => {
  // 1. Start the fixture; SIGTERM it. Grace 10 s, margin 1 s: a 9 s budget.
  const service = await startListeningService(fixture, {
    LAMEDUCK_GRACE_PERIOD_SECONDS: '10',
    LAMEDUCK_SAFETY_MARGIN_MS: '1000',
    LAMEDUCK_MIN_LAME_DUCK_MS: '300',
    FIXTURE_DELAY_MS: '20',
  });
  t.after(() => service.kill());
  const sigtermAtMs = performance.now();
  service.child.kill('SIGTERM');
  await service.waitForLine((l) => l.event === 'phase-changed' && l.to === 'lame-duck');

  // 2. Pipeline three requests on one connection.
  const connection = await openRawConnection(t, service.port);
  connection.socket.write(pipelined.join(''));

  // 3. Three answers in order, the last with close; then the server closes the connection.
  const heads = responseHeads(await connection.closed);
  assert.equal(heads.length, 3, connection.received());
  assert.deepEqual(heads.map(connectionHeader), ['keep-alive', 'keep-alive', 'close']);
  for (const head of heads) assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);

  // 4. Exit 0 long before the budget, nothing forced or cut short.
  const exit = await service.exited;
  assert.equal(exit.code, 0, service.stderr());
  const exitAfterMs = exit.atMs - sigtermAtMs;
  assert.ok(exitAfterMs < 6000, `exited ${Math.round(exitAfterMs)} ms after SIGTERM`);
  const stopped = await service.waitForLine((l) => l.event === 'participant-stopped');
  assert.deepEqual([stopped.forced, stopped.forcedWork, stopped.cutShort], [false, [], []]);
});

test('requests pipelined behind a busy request while draining are all answered', async (t) => {
  // 5. `/a` waits for a release; `/b` and `/c` answer on the next turn, as after any I/O.
  const aArrived = deferred<ServerResponse>();
  const allArrived = deferred();
  let arrived = 0;
  const server = createServer((req, res) => {
    if (++arrived === 3) allArrived.resolve();
    if (req.url === '/a') aArrived.resolve(res);
    else setImmediate(() => res.end(`ok ${req.url}\n`));
  });
  const { drain, port } = await startDrainedServer(t, server);
  const connection = await openRawConnection(t, port);
  connection.socket.write(pipelined[0] ?? '');
  const aResponse = await aArrived.promise;
  const budget = new AbortController();
  t.after(() => budget.abort());
  const stopped = drain.stop(budget.signal);
  connection.socket.write(pipelined.slice(1).join(''));
  await allArrived.promise;
  aResponse.end('ok /a\n');
  const heads = responseHeads(await connection.closed);
  // Whatever is still in flight once the client lost its connection will never be answered.
  budget.abort();
  assert.equal(heads.length, 3, connection.received());
  assert.equal(connectionHeader(heads[2] ?? ''), 'close');
  const outcome = await stopped;
  assert.equal(outcome?.forced, false);
  assert.deepEqual(outcome?.forcedWork ?? [], []);
  assert.deepEqual(outcome?.cutShort, []);
});

// 6 and 9: the close committed by lame duck, or by the application itself while serving.
for (const closedBy of ['lame duck', 'the application'] as const) {
  test(`requests read after ${closedBy} committed a close are not processed and not in flight`, async (t) => {
    // A handler that answers at once; three requests in one packet.
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      if (closedBy === 'the application') res.setHeader('connection', 'close');
      res.end(`ok ${req.url}\n`);
    });
    const { drain, port } = await startDrainedServer(t, server);
    if (closedBy === 'lame duck') drain.enterLameDuck(new AbortController().signal);
    const connection = await openRawConnection(t, port);
    connection.socket.write(pipelined.join(''));
    const heads = responseHeads(await connection.closed);
    assert.deepEqual(heads.map(connectionHeader), ['close']);
    assert.deepEqual(seen, ['/a']);
    assert.equal(drain.traffic.inFlight, 0);
    const outcome = await drain.stop(new AbortController().signal);
    assert.deepEqual(outcome, { forced: false, cutShort: [] });
  });
}

test('requests queued on a connection the client drops are no longer in flight', async (t) => {
  // 7. `/a` is never answered; `/b` and `/c` queue behind it; then the client goes away.
  const allArrived = deferred();
  const serverSocketClosed = deferred();
  let arrived = 0;
  const server = createServer((req, res) => {
    if (++arrived === 3) allArrived.resolve();
    if (req.url !== '/a') setImmediate(() => res.end(`ok ${req.url}\n`));
  });
  server.on('connection', (socket) => socket.once('close', () => serverSocketClosed.resolve()));
  const { drain, port } = await startDrainedServer(t, server);
  const connection = await openRawConnection(t, port);
  connection.socket.write(pipelined.join(''));
  await allArrived.promise;
  connection.socket.destroy();
  await serverSocketClosed.promise;
  const outcome = await stopAtDeadline(drain);
  assert.deepEqual(outcome?.forcedWork, []);
  assert.equal(drain.traffic.inFlight, 0);
});

for (const how of ['lame duck', 'draining'] as const) {
  test(`requests pipelined while serving and unanswered when ${how} begins are all answered`, async (t) => {
    // 8. Every handler waits; all three are read while serving.
    const responses: ServerResponse[] = [];
    const allArrived = deferred();
    const server = createServer((_req, res) => {
      if (responses.push(res) === 3) allArrived.resolve();
    });
    const { drain, port } = await startDrainedServer(t, server);
    const connection = await openRawConnection(t, port);
    connection.socket.write(pipelined.join(''));
    await allArrived.promise;
    const budget = new AbortController();
    t.after(() => budget.abort());
    let stopped: ReturnType<typeof drain.stop> | undefined;
    if (how === 'lame duck') drain.enterLameDuck(budget.signal);
    else stopped = drain.stop(budget.signal);
    for (const [i, res] of responses.entries()) res.end(`ok ${i}\n`);
    const heads = responseHeads(await connection.closed);
    assert.deepEqual(heads.map(connectionHeader), ['keep-alive', 'keep-alive', 'close']);
    assert.equal(drain.traffic.inFlight, 0);
    const outcome = await (stopped ?? drain.stop(budget.signal));
    assert.deepEqual(outcome, { forced: false, cutShort: [] });
  });
}
