import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { LameduckError } from '../../src/errors/lameduck-error.js';
import {
  findFreePorts,
  type LocalEtcd,
  localEtcdDefaults,
  startLocalEtcd,
  startLocalEtcdCluster,
} from '../../src/etcd/index.js';
import { TEST_TIMEOUT_MS } from '../helpers/timeouts.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const startAndHang = fileURLToPath(new URL('./fixtures/start-and-hang.ts', import.meta.url));
/** The orphan guard must take etcd down this soon after its parent dies. */
const ORPHAN_BOUND_MS = 2_000;
/** Poll interval for conditions nobody signals (another process's death). */
const POLL_INTERVAL_MS = 20;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Polls `predicate` until it holds; rejects when `timeoutMs` passes first. Returns elapsed ms. */
async function waitUntil(
  what: string,
  predicate: () => boolean,
  timeoutMs: number,
): Promise<number> {
  const startedAtMs = Date.now();
  while (!predicate()) {
    if (Date.now() - startedAtMs > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    }
    await delay(POLL_INTERVAL_MS);
  }
  return Date.now() - startedAtMs;
}

/** Stops the cluster in `t.after` should a start that the test expects to fail succeed. */
function stopIfStarted(t: TestContext, starting: Promise<LocalEtcd>): Promise<LocalEtcd> {
  t.after(async () => {
    const etcd = await starting.catch(() => undefined);
    await etcd?.stop();
  });
  return starting;
}

function client(hosts: string[]): Etcd3 {
  return new Etcd3({
    hosts,
    defaultCallOptions: () => ({ deadline: Date.now() + TEST_TIMEOUT_MS }),
  });
}

test('localEtcdDefaults match the documented defaults', () => {
  assert.deepEqual(localEtcdDefaults, {
    members: 1,
    etcdBinary: 'etcd',
    startTimeoutMs: 15_000,
    stopTimeoutMs: 5_000,
    heartbeatIntervalMs: 100,
    electionTimeoutMs: 1_000,
  });
});

test('findFreePorts returns distinct bindable ports', { timeout: TEST_TIMEOUT_MS }, async () => {
  const ports = await findFreePorts(6);
  assert.equal(new Set(ports).size, 6);
  for (const port of ports) assert.ok(port > 0 && port < 65_536);
});

test('a single member answers put/get, and stop() kills it and removes its data', {
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  const etcd = await startLocalEtcd();
  t.after(() => etcd.stop());
  const member = etcd.members[0];
  assert.ok(member);
  assert.deepEqual(etcd.endpoints, [member.clientUrl]);
  assert.match(member.clientUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(member.isRunning());
  assert.ok(isAlive(member.pid));
  assert.ok(existsSync(member.dataDir));

  const etcdClient = client(etcd.endpoints);
  try {
    await etcdClient.put('lameduck/test').value('hello');
    assert.equal(await etcdClient.get('lameduck/test').string(), 'hello');
  } finally {
    etcdClient.close();
  }
  assert.equal((await etcd.leader()).name, member.name);

  const stopped = etcd.stop();
  assert.equal(etcd.stop(), stopped, 'a second stop() returns the first promise');
  await stopped;
  assert.equal(member.isRunning(), false);
  assert.equal(isAlive(member.pid), false);
  assert.equal(existsSync(member.dataDir), false);
  assert.equal(existsSync(path.dirname(member.dataDir)), false);
  await assert.rejects(member.restart(), { name: 'LameduckError', code: 'invalid_state' });
});

test('a 3-member cluster elects a new leader after the leader is SIGKILLed and keeps taking writes', {
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  const etcd = await startLocalEtcdCluster();
  t.after(() => etcd.stop());
  assert.equal(etcd.members.length, 3);
  assert.equal(new Set(etcd.endpoints).size, 3);
  assert.ok(etcd.members.every((member) => member.isRunning()));

  // 1. A write through one member is read through another.
  const [first, second] = etcd.endpoints;
  assert.ok(first !== undefined && second !== undefined);
  const writer = client([first]);
  const reader = client([second]);
  try {
    await writer.put('lameduck/cluster').value('one');
    assert.equal(await reader.get('lameduck/cluster').string(), 'one');
  } finally {
    writer.close();
    reader.close();
  }

  // 2. SIGKILL the leader; the other two elect a new one.
  const oldLeader = await etcd.leader();
  oldLeader.kill('SIGKILL');
  const newLeader = await etcd.leader();
  assert.notEqual(newLeader, oldLeader);
  assert.equal(oldLeader.isRunning(), false);

  // 3. Writes still succeed through the remaining endpoints.
  const survivors = etcd.members.filter((member) => member !== oldLeader);
  const survivorClient = client(survivors.map((member) => member.clientUrl));
  try {
    await survivorClient.put('lameduck/cluster').value('two');
    assert.equal(await survivorClient.get('lameduck/cluster').string(), 'two');
  } finally {
    survivorClient.close();
  }

  // 4. The old leader rejoins with its data and sees the write made while it was down.
  await oldLeader.restart();
  assert.ok(oldLeader.isRunning());
  const rejoined = client([oldLeader.clientUrl]);
  try {
    assert.equal(await rejoined.get('lameduck/cluster').string(), 'two');
  } finally {
    rejoined.close();
  }

  // 5. stop() takes every member down and removes every data directory.
  await etcd.stop();
  for (const member of etcd.members) {
    assert.equal(isAlive(member.pid), false, `${member.name} is still running`);
    assert.equal(existsSync(member.dataDir), false, `${member.name}'s data dir is still there`);
  }
});

test('a missing etcd binary rejects with unavailable and says how to install it', async (t) => {
  await assert.rejects(
    stopIfStarted(t, startLocalEtcd({ etcdBinary: 'lameduck-no-such-etcd' })),
    (error) => {
      assert.ok(error instanceof LameduckError);
      assert.equal(error.code, 'unavailable');
      assert.match(error.message, /etcd binary was not found on PATH/);
      assert.match(error.message, /lameduck-no-such-etcd/);
      assert.match(error.message, /make test.*apt-get install etcd-server/);
      return true;
    },
  );
  await assert.rejects(stopIfStarted(t, startLocalEtcd({ etcdBinary: '/nonexistent/etcd' })), {
    name: 'LameduckError',
    code: 'unavailable',
  });
});

test('a member that exits early rejects with unavailable and quotes its stderr', {
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  // node rejects etcd's flags ("bad option: --name") and exits at once: an early exit.
  await assert.rejects(
    stopIfStarted(t, startLocalEtcd({ etcdBinary: process.execPath })),
    (error) => {
      assert.ok(error instanceof LameduckError);
      assert.equal(error.code, 'unavailable');
      assert.match(error.message, /member m0 exited with code \d+ before it became healthy/);
      assert.match(error.message, /last stderr lines:\n.*bad option: --name/);
      return true;
    },
  );
});

test('an aborted signal rejects the start with aborted', {
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  await assert.rejects(stopIfStarted(t, startLocalEtcd({ signal: AbortSignal.abort() })), {
    name: 'LameduckError',
    code: 'aborted',
  });
});

test('bad options reject with invalid_config', async (t) => {
  await assert.rejects(stopIfStarted(t, startLocalEtcd({ members: 0 })), {
    code: 'invalid_config',
  });
  await assert.rejects(
    stopIfStarted(t, startLocalEtcd({ heartbeatIntervalMs: 100, electionTimeoutMs: 400 })),
    {
      code: 'invalid_config',
    },
  );
});

test('etcd dies and its data is removed when the process that started it is SIGKILLed', {
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--import', 'tsx', startAndHang], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let started: { pid: number; dataDir: string } | undefined;
  t.after(async () => {
    child.kill('SIGKILL');
    await exited;
    // Only reached with work left when the test failed: take etcd down ourselves.
    if (started !== undefined && isAlive(started.pid)) process.kill(started.pid, 'SIGKILL');
    if (started !== undefined)
      rmSync(path.dirname(started.dataDir), { recursive: true, force: true });
  });

  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const line = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline !== -1) resolve(stdout.slice(0, newline));
    });
    void exited.then(() => reject(new Error(`start-and-hang exited before printing:\n${stderr}`)));
  });
  started = JSON.parse(line) as { pid: number; dataDir: string };
  assert.ok(isAlive(started.pid), 'etcd runs while its parent lives');

  child.kill('SIGKILL');
  await exited;
  const { pid, dataDir } = started;
  const elapsedMs = await waitUntil('etcd is gone', () => !isAlive(pid), TEST_TIMEOUT_MS);
  assert.ok(elapsedMs <= ORPHAN_BOUND_MS, `etcd outlived its parent by ${elapsedMs} ms`);
  await waitUntil(
    'its data dir is removed',
    () => !existsSync(path.dirname(dataDir)),
    TEST_TIMEOUT_MS,
  );
});
