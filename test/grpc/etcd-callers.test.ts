/**
 * Callers that find servers through etcd, under a steady unary load (300 calls/s, 50 ms handler,
 * 2 s deadline) through an `etcd:///echo` channel:
 *
 * 1. Rolling restart, three times: start a new server, wait until it is registered, SIGTERM an
 *    old one. Zero failed calls; every old server exits 0.
 * 2. A server SIGKILLed (node crash): zero failed calls (the method is marked idempotent: calls
 *    cut by the crash are retried on another server), but for a call whose response headers were
 *    out already, which gRPC does not retry (at most a few, all UNAVAILABLE).
 * 3. A server SIGSTOPped for 10 s (node hang), then SIGCONTed: zero failed calls (but as in 2);
 *    it serves again afterwards (registered again if its lease expired meanwhile).
 * 4. The etcd leader SIGKILLed in a 3-member cluster: zero failed calls, and no registration is
 *    lost (every server keeps its lease and key through the election).
 * 5. All of etcd stopped for 20 s, then restarted: calls keep flowing to the last known servers,
 *    and every server is registered again within 2 s of etcd's return.
 * 6. Garbage written under the service's prefix with etcdctl while calls flow: skipped with a
 *    warning, no crash, no failed call.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { LoadFailure } from '../../src/drill/runtime/open-loop.js';
import { type LocalEtcd, startLocalEtcd } from '../../src/etcd/index.js';
import { etcdctl } from '../helpers/etcdctl.js';
import { encodeEchoRequest } from '../helpers/grpc-echo.js';
import { registerEchoResolver, startEtcdEchoLoad, startGrpcPods } from '../helpers/grpc-pods.js';
import { waitUntil } from '../helpers/wait-until.js';

/**
 * etcd (`etcdMembers` members), three registered servers and a steady load through
 * `etcd:///echo`, torn down after.
 */
async function startEtcdFleet(
  t: TestContext,
  {
    etcdMembers = 1,
    env: extraEnv = {},
  }: { etcdMembers?: number; env?: Record<string, string> } = {},
) {
  const etcd = await startLocalEtcd({ members: etcdMembers });
  t.after(() => etcd.stop());
  const env = {
    FIXTURE_ETCD_ENDPOINTS: etcd.endpoints.join(','),
    LAMEDUCK_GRACE_PERIOD_SECONDS: '10',
    ...extraEnv,
  };
  const logger = registerEchoResolver(t, etcd);
  const pods = await startGrpcPods(t, 3, env);
  await Promise.all(pods.map((pod) => pod.waitForLine((l) => l.event === 'registered')));
  const load = startEtcdEchoLoad(t, {
    request: encodeEchoRequest({ message: 'load', delay_ms: 50 }),
    ratePerSecond: 300,
  });
  const served = (pid: number) => load.byPid.get(String(pid)) ?? 0;
  await waitUntil('every server to answer', () => pods.every((pod) => served(pod.pid) > 30));
  return { etcd, env, pods, load, served, logger };
}

/**
 * Every call a dead or hung server cut is retried on another server, but one whose response
 * headers were out already: gRPC commits a call at its headers and retries it no more, and
 * grpc-js servers send the trailers in a later write than the headers, so a SIGKILL or SIGSTOP can
 * fall between them (seen now and then, in both tests). Those few, and only those, may fail.
 */
function assertOnlyCutAfterHeaders(failures: readonly LoadFailure[]): void {
  const cutAfterHeaders = failures.filter(
    (f) => f.code === 'UNAVAILABLE' && f.afterResponseBegan === true,
  );
  assert.deepEqual(
    failures.filter((f) => !cutAfterHeaders.includes(f)),
    [],
    'failed calls',
  );
  assert.ok(cutAfterHeaders.length <= 3, `${cutAfterHeaders.length} calls cut after their headers`);
}

test('rolling restart through etcd, three times, under load: zero failed calls', async (t) => {
  // 1.
  const { env, pods, load, served } = await startEtcdFleet(t);
  for (const old of [...pods]) {
    const [fresh] = await startGrpcPods(t, 1, env);
    assert.ok(fresh);
    await fresh.waitForLine((l) => l.event === 'registered');
    old.child.kill('SIGTERM');
    const exit = await old.exited;
    assert.equal(exit.code, 0, `old server exit; stderr:\n${old.stderr()}`);
    await waitUntil('the new server to take calls', () => served(fresh.pid) > 30);
  }
  const report = await load.stop();
  assert.deepEqual(report.failures, [], 'failed calls');
  assert.equal(report.cutOffAtStop, 0);
  t.diagnostic(`${report.sent} calls, answered by ${report.byPid.size} servers`);
});

test('a server SIGKILLed under load: zero failed idempotent calls', async (t) => {
  // 2. No deregistration: its lease stays until the TTL; the callers see the connection drop.
  const { pods, load, served } = await startEtcdFleet(t);
  const [crashed, ...others] = pods as [(typeof pods)[0], ...typeof pods];
  crashed.child.kill('SIGKILL');
  await crashed.exited;
  const before = others.map((pod) => served(pod.pid));
  await waitUntil('the others to answer 300 more calls each', () =>
    others.every((pod, i) => served(pod.pid) > (before[i] ?? 0) + 300),
  );
  const report = await load.stop();
  assertOnlyCutAfterHeaders(report.failures);
  t.diagnostic(`${report.sent} calls, ${report.failures.length} cut after their headers`);
});

test('a server SIGSTOPped for 10 s then resumed: zero failed calls, and it rejoins', async (t) => {
  // 3. The hung server keeps its connections open: only the 1 s keepalive notices it.
  const { etcd, pods, load, served } = await startEtcdFleet(t);
  const [hung] = pods;
  assert.ok(hung);
  hung.child.kill('SIGSTOP');
  t.after(() => hung.child.kill('SIGCONT'));
  const servedBefore = served(hung.pid);
  // The hang lasts 10 s: the scenario's length, not a wait for something to happen.
  await delay(10_000);
  assert.ok(served(hung.pid) <= servedBefore + 5, 'the hung server answered while stopped');
  hung.child.kill('SIGCONT');
  await waitUntil('the resumed server to answer again', () => served(hung.pid) > servedBefore + 30);
  // Registered: under its old lease if that outlived the hang, else under a new one.
  const hungKey = `echo/127.0.0.1:${hung.port}`;
  await waitUntil('the resumed server to be registered', async () =>
    (await registeredKeys(etcd)).some((key) => key.startsWith(`${hungKey} `)),
  );
  const report = await load.stop();
  assertOnlyCutAfterHeaders(report.failures);
  t.diagnostic(`${report.sent} calls, ${report.failures.length} cut after their headers`);
});

test('the etcd leader SIGKILLed in a 3-member cluster: zero failed calls, no registration lost', async (t) => {
  // 4. A 5 s lease: short enough that a keepalive gap longer than the election would count as a
  // loss, long enough for the election itself (no keepalive is answered for 3 to 4 s; with a
  // 2 s lease etcd's own Go client counts the lease lost too).
  const leaseTtlSeconds = 5;
  const { etcd, pods, load, served } = await startEtcdFleet(t, {
    etcdMembers: 3,
    env: { FIXTURE_LEASE_TTL_SECONDS: String(leaseTtlSeconds) },
  });
  const keysBefore = await registeredKeys(etcd);
  assert.equal(keysBefore.length, 3, `registered keys: ${keysBefore.join(', ')}`);
  const oldLeader = await etcd.leader();
  oldLeader.kill('SIGKILL');
  const newLeader = await etcd.leader();
  assert.notEqual(newLeader.name, oldLeader.name);
  // Three lease TTLs after the election: long enough for any lost keepalive to show as a loss.
  await delay(3 * leaseTtlSeconds * 1000);
  const before = pods.map((pod) => served(pod.pid));
  await waitUntil('every server to answer 100 more calls', () =>
    pods.every((pod, i) => served(pod.pid) > (before[i] ?? 0) + 100),
  );
  const report = await load.stop();
  assert.deepEqual(report.failures, [], 'failed calls');
  for (const pod of pods) {
    const events = pod.lines.map((l) => l.event);
    assert.ok(
      !events.includes('registration-lost'),
      `pod ${pod.pid} lost its registration:\n${pod.stderr()}${pod.lines.map((l) => JSON.stringify(l)).join('\n')}`,
    );
    assert.equal(
      events.filter((e) => e === 'registered').length,
      1,
      `pod ${pod.pid} registered again`,
    );
  }
  assert.deepEqual(await registeredKeys(etcd), keysBefore, 'the same keys, under the same leases');
  t.diagnostic(`leader ${oldLeader.name} -> ${newLeader.name}; ${report.sent} calls`);
});

/** Every key under `echo/` with its lease, as etcdctl shows them (a surviving member answers). */
async function registeredKeys(etcd: LocalEtcd): Promise<string[]> {
  const output = await etcdctl(etcd, 'get', '--prefix', 'echo/', '--write-out=json');
  const parsed = JSON.parse(output) as { kvs?: Array<{ key: string; lease?: number }> };
  return (parsed.kvs ?? [])
    .map((kv) => `${Buffer.from(kv.key, 'base64').toString()} lease ${kv.lease}`)
    .sort();
}

test('etcd stopped for 20 s: calls keep flowing; every server registered again within 2 s of its return', async (t) => {
  // 5.
  const { etcd, pods, load } = await startEtcdFleet(t);
  const [member] = etcd.members;
  assert.ok(member);
  await member.stop();
  const lost = pods.map((pod) => pod.waitForLine((l) => l.event === 'registration-lost'));
  // The outage lasts 20 s: the scenario's length, not a wait for something to happen.
  await delay(20_000);
  await Promise.all(lost);
  const linesBefore = pods.map((pod) => pod.lines.length);
  await member.restart();
  const backAtMs = performance.now();
  const registeredAgainMs = await Promise.all(
    pods.map(async (pod, i) => {
      await pod.waitForLine(
        (l) => l.event === 'registered' && pod.lines.indexOf(l) >= (linesBefore[i] ?? 0),
      );
      return performance.now() - backAtMs;
    }),
  );
  const report = await load.stop();
  assert.deepEqual(report.failures, [], 'failed calls');
  for (const ms of registeredAgainMs)
    assert.ok(ms < 2000, `registered again after ${Math.round(ms)} ms`);
  t.diagnostic(
    `registered again after ${registeredAgainMs.map(Math.round).join(', ')} ms; ${report.sent} calls`,
  );
});

test('garbage under the prefix while calls flow: skipped with a warning, no failed call', async (t) => {
  // 6.
  const { etcd, pods, load, served, logger } = await startEtcdFleet(t);
  await etcdctl(etcd, 'put', 'echo/garbage', '{"Addr":42');
  const skipped = await logger.waitFor((r) => r.event === 'registry-record-skipped');
  assert.equal(skipped.key, 'echo/garbage');
  const before = pods.map((pod) => served(pod.pid));
  await waitUntil('every server to answer 100 more calls', () =>
    pods.every((pod, i) => served(pod.pid) > (before[i] ?? 0) + 100),
  );
  const report = await load.stop();
  assert.deepEqual(report.failures, [], 'failed calls');
});
