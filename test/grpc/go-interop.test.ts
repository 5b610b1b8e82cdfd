/**
 * lameduck and the incident's Go code, both ways, with real Go programs built from Debian's
 * grpc-go 1.33 and etcd 3.4 client packages (test/fixtures/go-interop/):
 *
 * 1. etcd's naming resolver in grpc-go 1.33 panics on a record whose `Metadata` is a JSON object
 *    or array, and reads strings, numbers, booleans, null and no `Metadata` at all: the shapes
 *    lameduck writes and refuses are the ones real Go callers survive and crash on.
 * 2. A grpc-go caller (etcd's naming resolver, round_robin) calls lameduck servers registered in
 *    the `etcd-naming` format while they are replaced one by one (start new, wait until
 *    registered, SIGTERM old): zero failed calls, every old server exits 0.
 * 3. grpc-go servers refuse lameduck's 500 ms client keepalive with their default policy and
 *    accept it with the README's `keepalive.EnforcementPolicy`.
 * 4. grpc-go servers that register with etcd's `endpoints.Manager` and leave with
 *    `GracefulStop` are found by lameduck's `etcd:///` resolver and replaced under load: zero
 *    failed idempotent calls with the resolver's default settings.
 * 5. The same Go caller through a lameduck server's crash (SIGKILL) and hang (SIGSTOP): what a
 *    caller without lameduck's client gets is printed; lameduck's registration leaves no stale
 *    key once its lease expires.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { type LocalEtcd, startLocalEtcd } from '../../src/etcd/index.js';
import { type ChildService, type LogLine, startChildProcess } from '../helpers/child-service.js';
import { etcdctl } from '../helpers/etcdctl.js';
import { goInteropBinary } from '../helpers/go-interop.js';
import { echoMethods, encodeEchoRequest } from '../helpers/grpc-echo.js';
import {
  type GrpcPod,
  registerEchoResolver,
  startEtcdEchoLoad,
  startGrpcPods,
} from '../helpers/grpc-pods.js';
import { comparePingPolicies } from '../helpers/ping-policy.js';
import { waitUntil } from '../helpers/wait-until.js';

// The first build of the Go programs takes about a minute on two cores; later runs reuse it.
const goTestTimeoutMs = 5 * 60_000;
const echoRequest = encodeEchoRequest({ message: 'go', delay_ms: 20 });
// lameduck's client pings every 500 ms; the README tells grpc-go servers to allow 400 ms.
const goPingMinTime = '400ms';

async function startEtcd(t: TestContext): Promise<LocalEtcd> {
  const etcd = await startLocalEtcd();
  t.after(() => etcd.stop());
  return etcd;
}

/** The Go caller: calls `etcd:///echo` until the test ends or {@link stopGoCaller}. */
async function startGoCaller(
  t: TestContext,
  etcd: LocalEtcd,
  ratePerSecond = 200,
  waitUntilStarted = true,
): Promise<ChildService> {
  const binary = await goInteropBinary();
  const caller = startChildProcess(
    binary,
    [
      'caller',
      '-etcd',
      etcd.endpoints.join(','),
      '-service',
      'echo',
      '-request',
      echoRequest.toString('base64'),
      '-rate',
      String(ratePerSecond),
    ],
    {},
    { stdin: 'pipe' },
  );
  t.after(() => caller.kill());
  if (waitUntilStarted) await caller.waitForLine((l) => l.event === 'caller-started');
  return caller;
}

/** Closes the caller's stdin; resolves with its final counts once it exited 0. */
async function stopGoCaller(caller: ChildService): Promise<LogLine> {
  caller.child.stdin?.end();
  const exit = await caller.exited;
  assert.equal(exit.code, 0, `Go caller exit (${exit.signal}); stderr:\n${caller.stderr()}`);
  return caller.waitForLine((l) => l.event === 'caller-done');
}

/** Calls the Go caller's calls answered by `address` so far, from its latest count. */
function answeredBy(caller: ChildService, address: string): number {
  const latest = caller.lines.findLast((l) => l.event === 'calls');
  return Number((latest?.byPeer as Record<string, number> | undefined)?.[address] ?? 0);
}

const podAddress = (pod: GrpcPod) => `127.0.0.1:${pod.port}`;

async function etcdKeys(etcd: LocalEtcd, prefix: string): Promise<string[]> {
  const out = await etcdctl(etcd, 'get', '--prefix', '--keys-only', prefix);
  return out.split('\n').filter((line) => line !== '');
}

test('etcd’s Go naming resolver reads scalar Metadata and panics on objects and arrays', {
  timeout: goTestTimeoutMs,
}, async (t) => {
  // 1. One lameduck server, unregistered; its record is written by hand in each shape.
  const etcd = await startEtcd(t);
  const [pod] = await startGrpcPods(t, 1);
  assert.ok(pod);
  const address = podAddress(pod);
  const shapes: Array<{ metadata: string | undefined; panics: boolean }> = [
    { metadata: undefined, panics: false },
    { metadata: 'null', panics: false },
    { metadata: '"zone-a"', panics: false },
    { metadata: '7', panics: false },
    { metadata: 'true', panics: false },
    { metadata: '{}', panics: true },
    { metadata: '{"zone":"a"}', panics: true },
    { metadata: '["a"]', panics: true },
  ];
  for (const { metadata, panics } of shapes) {
    const value =
      metadata === undefined
        ? JSON.stringify({ Op: 0, Addr: address })
        : `{"Op":0,"Addr":"${address}","Metadata":${metadata}}`;
    await etcdctl(etcd, 'put', `echo/${address}`, value);
    // A caller that panics may do so on its first resolution, before it says it started.
    const caller = await startGoCaller(t, etcd, 200, !panics);
    if (panics) {
      const exit = await caller.exited;
      assert.notEqual(exit.code, 0, `Metadata ${metadata}: the Go caller kept running`);
      assert.match(caller.stderr(), /panic: runtime error: hash of unhashable type/, metadata);
      continue;
    }
    await caller.waitForLine((l) => l.event === 'calls' && Number(l.ok) >= 20);
    const done = await stopGoCaller(caller);
    assert.equal(done.failed, 0, `Metadata ${metadata}: ${JSON.stringify(done)}`);
  }
});

test('a grpc-go caller with etcd’s naming resolver: lameduck servers replaced one by one, zero failed calls', {
  timeout: goTestTimeoutMs,
}, async (t) => {
  // 2. Three lameduck servers without metadata, replaced by three with a string metadata.
  const etcd = await startEtcd(t);
  const env = {
    FIXTURE_ETCD_ENDPOINTS: etcd.endpoints.join(','),
    LAMEDUCK_GRACE_PERIOD_SECONDS: '10',
  };
  const pods = await startGrpcPods(t, 3, env);
  await Promise.all(pods.map((pod) => pod.waitForLine((l) => l.event === 'registered')));
  const caller = await startGoCaller(t, etcd);
  await waitUntil('every server to answer the Go caller', () =>
    pods.every((pod) => answeredBy(caller, podAddress(pod)) > 30),
  );
  for (const old of [...pods]) {
    const [fresh] = await startGrpcPods(t, 1, { ...env, FIXTURE_REGISTRY_METADATA: '"v2"' });
    assert.ok(fresh);
    await fresh.waitForLine((l) => l.event === 'registered');
    old.child.kill('SIGTERM');
    const exit = await old.exited;
    assert.equal(exit.code, 0, `old server exit; stderr:\n${old.stderr()}`);
    await waitUntil(
      'the new server to answer the Go caller',
      () => answeredBy(caller, podAddress(fresh)) > 30,
    );
  }
  const done = await stopGoCaller(caller);
  assert.equal(done.failed, 0, JSON.stringify(done));
  t.diagnostic(
    `${done.ok} calls from Go, answered by ${Object.keys(done.byPeer as object).length} servers`,
  );
});

/** A Go server registered in etcd with `endpoints.Manager`, stopped with the test. */
async function startGoServer(
  t: TestContext,
  etcd: LocalEtcd | undefined,
  pingMinTime?: string,
): Promise<ChildService & { address: string; port: number }> {
  const binary = await goInteropBinary();
  const args = ['server', '-service', 'echo'];
  if (etcd !== undefined) args.push('-etcd', etcd.endpoints.join(','));
  if (pingMinTime !== undefined) args.push('-ping-min-time', pingMinTime);
  const server = startChildProcess(binary, args, {});
  t.after(() => server.kill());
  const listening = await server.waitForLine((l) => l.event === 'server-listening');
  if (etcd !== undefined) await server.waitForLine((l) => l.event === 'registered');
  const address = String(listening.address);
  return Object.assign(server, { address, port: Number(address.split(':').at(-1)) });
}

test('grpc-go servers refuse lameduck’s keepalive by default and accept it with the README’s policy', {
  timeout: goTestTimeoutMs,
}, async (t) => {
  // 3. Two Go servers, no registry: grpc-go's default policy, and MinTime 400 ms with
  // PermitWithoutStream.
  const [defaults, allowing] = await Promise.all([
    startGoServer(t, undefined),
    startGoServer(t, undefined, goPingMinTime),
  ]);
  const outcome = await comparePingPolicies(t, {
    defaultPort: defaults.port,
    allowingPort: allowing.port,
    method: echoMethods.unary,
    request: echoRequest,
  });
  assert.match(outcome.defaultRefusals[0] ?? '', /Increasing ping interval to 1000 ms/);
  assert.deepEqual(outcome.allowingRefusals, []);
  assert.deepEqual(outcome.allowingStates, [], 'the allowing server’s connection never left READY');
});

test('grpc-go servers registered with endpoints.Manager, replaced under load through lameduck’s resolver: zero failed calls', {
  timeout: goTestTimeoutMs,
}, async (t) => {
  // 4. lameduck's resolver with its defaults: Echo marked idempotent, 500 ms keepalive.
  const etcd = await startEtcd(t);
  const servers = await Promise.all([1, 2, 3].map(() => startGoServer(t, etcd, goPingMinTime)));
  const logger = registerEchoResolver(t, etcd);
  const load = startEtcdEchoLoad(t, { request: echoRequest, ratePerSecond: 300 });
  const served = (server: ChildService) => load.byPid.get(String(server.pid)) ?? 0;
  await waitUntil('every Go server to answer', () => servers.every((s) => served(s) > 30));
  for (const old of [...servers]) {
    const fresh = await startGoServer(t, etcd, goPingMinTime);
    old.child.kill('SIGTERM');
    const exit = await old.exited;
    assert.equal(exit.code, 0, `old Go server exit; stderr:\n${old.stderr()}`);
    assert.ok(old.lines.some((l) => l.event === 'deregistered'));
    await waitUntil('the new Go server to answer', () => served(fresh) > 30);
  }
  const report = await load.stop();
  assert.deepEqual(report.failures, [], 'failed calls');
  assert.deepEqual(
    logger.records.filter((r) => r.level === 'warn'),
    [],
    'resolver warnings',
  );
  t.diagnostic(`${report.sent} calls to Go servers, answered by ${report.byPid.size} servers`);
});

test('a plain Go caller through a lameduck server’s crash and hang: printed; no stale key after the lease', {
  timeout: goTestTimeoutMs,
}, async (t) => {
  // 5. Three lameduck servers with a 3 s lease; one SIGKILLed, then another SIGSTOPped until its
  // lease has expired, then SIGCONTed.
  const leaseTtlSeconds = 3;
  const etcd = await startEtcd(t);
  const pods = await startGrpcPods(t, 3, {
    FIXTURE_ETCD_ENDPOINTS: etcd.endpoints.join(','),
    FIXTURE_LEASE_TTL_SECONDS: String(leaseTtlSeconds),
  });
  await Promise.all(pods.map((pod) => pod.waitForLine((l) => l.event === 'registered')));
  const [crashed, hung, survivor] = pods as [GrpcPod, GrpcPod, GrpcPod];
  const keyOf = (pod: GrpcPod) => `echo/${podAddress(pod)}`;
  const caller = await startGoCaller(t, etcd);
  await waitUntil('every server to answer the Go caller', () =>
    pods.every((pod) => answeredBy(caller, podAddress(pod)) > 30),
  );
  const failedSoFar = () => Number(caller.lines.findLast((l) => l.event === 'calls')?.failed ?? 0);

  // SIGKILL: no deregistration; the key goes when the lease expires.
  const crashedAtMs = performance.now();
  crashed.child.kill('SIGKILL');
  await crashed.exited;
  await waitUntil(
    'the crashed server’s key to expire',
    async () => !(await etcdKeys(etcd, 'echo/')).includes(keyOf(crashed)),
  );
  const crashKeyGoneMs = Math.round(performance.now() - crashedAtMs);
  assert.ok(crashKeyGoneMs <= (leaseTtlSeconds + 2) * 1000, `key gone after ${crashKeyGoneMs} ms`);
  const failedByCrash = failedSoFar();

  // SIGSTOP: the process keeps its sockets open and answers nothing; its lease expires.
  const hungAtMs = performance.now();
  hung.child.kill('SIGSTOP');
  t.after(() => hung.child.kill('SIGCONT'));
  await waitUntil(
    'the hung server’s key to expire',
    async () => !(await etcdKeys(etcd, 'echo/')).includes(keyOf(hung)),
  );
  const hangKeyGoneMs = Math.round(performance.now() - hungAtMs);
  assert.ok(hangKeyGoneMs <= (leaseTtlSeconds + 2) * 1000, `key gone after ${hangKeyGoneMs} ms`);
  assert.deepEqual(await etcdKeys(etcd, 'echo/'), [keyOf(survivor)], 'no stale key');
  // Resumed, it finds its lease lost and registers again.
  hung.child.kill('SIGCONT');
  await waitUntil('the resumed server to be registered again', async () =>
    (await etcdKeys(etcd, 'echo/')).includes(keyOf(hung)),
  );
  const done = await stopGoCaller(caller);
  t.diagnostic(
    `plain Go caller (no retry, no keepalive, 2 s deadline): ${failedByCrash} failed calls from ` +
      `the crash, ${Number(done.failed) - failedByCrash} from the hang, of ${done.sent}; ` +
      `codes ${JSON.stringify(done.codes)}; keys gone ${crashKeyGoneMs} ms after the crash, ` +
      `${hangKeyGoneMs} ms after the hang`,
  );
});
