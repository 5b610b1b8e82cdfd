/**
 * The Passport example (examples/passport):
 *
 * 1. Its deploy manifests are valid Kubernetes objects (kubernetes-models' schemas).
 * 2. `lameduck lint` finds nothing in the recommended set, and in the incident's two sets the
 *    findings the README explains.
 * 3. Tokens issued by one replica are verified by another.
 * 4. The three modes leave as the README says, on SIGTERM with a session stream open: naive dies
 *    at once and stays registered; seed-fix deregisters at once and then waits for the stream
 *    (graceful stop, no deadline); lameduck deregisters, ends the stream with a last event and
 *    OK, and exits 0.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type Client,
  credentials,
  type GrpcObject,
  status as GrpcStatus,
  loadPackageDefinition,
  type ServiceClientConstructor,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';
import { startLocalEtcd } from '../../src/etcd/index.js';
import { lintManifests } from '../../src/k8s/lint.js';
import { loadManifest } from '../../src/k8s/manifest-loader.js';
import { lintRules } from '../../src/k8s/rules/index.js';
import { startChildService } from '../helpers/child-service.js';
import { etcdctl } from '../helpers/etcdctl.js';
import { observeStream } from '../helpers/grpc-echo.js';
import { TEST_SHORT_TIMEOUT_MS, TEST_TIMEOUT_MS } from '../helpers/timeouts.js';
import { waitUntil } from '../helpers/wait-until.js';

const exampleDir = fileURLToPath(new URL('../../examples/passport/', import.meta.url));
const modes = ['lameduck', 'seed-fix', 'naive'] as const;
const manifestOf = (mode: string) => path.join(exampleDir, 'deploy', mode, 'passport.yaml');

test('the deploy manifests are valid Kubernetes objects', async () => {
  // 1.
  const models: Record<string, new (value: never) => { validate(): void }> = {
    'apps/v1 Deployment': Deployment,
    'v1 Service': Service,
    'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  };
  for (const mode of modes) {
    for (const document of parseAllDocuments(await readFile(manifestOf(mode), 'utf8'))) {
      const value = document.toJS() as { apiVersion: string; kind: string };
      const Model = models[`${value.apiVersion} ${value.kind}`];
      assert.ok(Model, `${mode}: no schema for ${value.apiVersion} ${value.kind}`);
      assert.doesNotThrow(() => new Model(value as never).validate(), `${mode} ${value.kind}`);
    }
  }
  // The validator does catch a mistake: a port given as text.
  const broken = new Deployment({
    metadata: { name: 'x' },
    spec: {
      selector: {},
      template: {
        spec: { containers: [{ name: 'c', ports: [{ containerPort: 'grpc' as never }] }] },
      },
    },
  });
  assert.throws(() => broken.validate(), /containerPort must be integer/);
});

test('lameduck lint: nothing in the recommended set, the README’s findings in the incident’s', async () => {
  // 2.
  const ruleIds = async (mode: string) => {
    const manifest = loadManifest(manifestOf(mode), await readFile(manifestOf(mode), 'utf8'));
    const report = lintManifests([manifest], {
      rules: lintRules,
      disabled: new Set(),
      settings: { k8sVersion: [1, 35] },
    });
    return report.findings.map((f) => f.ruleId).sort();
  };
  assert.deepEqual(await ruleIds('lameduck'), []);
  assert.deepEqual(await ruleIds('naive'), [
    'pdb',
    'prestop-missing',
    'readiness-probe',
    'topology-spread',
  ]);
  assert.deepEqual(await ruleIds('seed-fix'), [
    'pdb',
    'prestop-exec-sleep',
    'readiness-probe',
    'topology-spread',
  ]);
});

const definition = loadSync(path.join(exampleDir, 'passport.proto'), {
  keepCase: true,
  longs: Number,
  defaults: true,
});
const Passport = ((loadPackageDefinition(definition).passport as GrpcObject).v1 as GrpcObject)
  .Passport as ServiceClientConstructor;
type PassportClient = Client & Record<string, (...args: unknown[]) => unknown>;

/** Starts the example in `mode` on a free 127.0.0.1 port, registered in `etcdEndpoints`. */
async function startPassport(t: TestContext, mode: string, port: number, etcdEndpoints: string[]) {
  const service = startChildService(path.join(exampleDir, 'server.ts'), {
    PASSPORT_MODE: mode,
    POD_IP: '127.0.0.1',
    PORT: String(port),
    ETCD_ENDPOINTS: etcdEndpoints.join(','),
    LAMEDUCK_ADMIN_PORT: '0',
    LAMEDUCK_GRACE_PERIOD_SECONDS: '10',
  });
  t.after(() => service.kill());
  const client = new Passport(
    `127.0.0.1:${port}`,
    credentials.createInsecure(),
  ) as unknown as PassportClient;
  t.after(() => client.close());
  return { service, client };
}

function unary<T>(client: PassportClient, method: string, request: object): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method]?.(request, (error: Error | null, reply: T) =>
      error === null ? resolve(reply) : reject(error),
    ),
  );
}

async function freePort(): Promise<number> {
  const { findFreePorts } = await import('../../src/etcd/index.js');
  const [port] = await findFreePorts(1);
  return port as number;
}

test('tokens issued by one replica are verified by another', {
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  // 3.
  const etcd = await startLocalEtcd();
  t.after(() => etcd.stop());
  const [a, b] = await Promise.all([
    startPassport(t, 'lameduck', await freePort(), etcd.endpoints),
    startPassport(t, 'lameduck', await freePort(), etcd.endpoints),
  ]);
  assert.ok(a && b);
  await waitUntil(
    'both registered',
    async () =>
      (await etcdctl(etcd, 'get', '--prefix', '--keys-only', 'passport/'))
        .trim()
        .split('\n')
        .filter(Boolean).length === 2,
  );
  const issued = await unary<{ token: string }>(a.client, 'IssueToken', { user: 'ada' });
  const verdict = await unary<{ valid: boolean; user: string }>(b.client, 'VerifyToken', {
    token: issued.token,
  });
  assert.deepEqual({ valid: verdict.valid, user: verdict.user }, { valid: true, user: 'ada' });
  const forged = await unary<{ valid: boolean }>(b.client, 'VerifyToken', {
    token: `${issued.token}x`,
  });
  assert.equal(forged.valid, false);
});

test('the three modes leave as the README says, with a session stream open', {
  timeout: TEST_TIMEOUT_MS * 2,
}, async (t) => {
  // 4.
  const etcd = await startLocalEtcd();
  t.after(() => etcd.stop());
  for (const mode of modes) {
    const port = await freePort();
    const key = `passport/127.0.0.1:${port}`;
    const registered = async () => (await etcdctl(etcd, 'get', '--keys-only', key)).includes(key);
    const { service, client } = await startPassport(t, mode, port, etcd.endpoints);
    await waitUntil(`${mode} registered`, registered);
    const call = client.SessionEvents?.({ user: 'ada', interval_ms: 50 }) as { cancel(): void };
    const stream = observeStream<{ kind: string; last: boolean }>(call as never);
    await stream.waitForMessage(() => true);
    service.child.kill('SIGTERM');
    if (mode === 'naive') {
      const exit = await service.exited;
      assert.equal(exit.signal, 'SIGTERM', 'naive dies of SIGTERM');
      assert.equal((await stream.status).code, GrpcStatus.UNAVAILABLE);
      assert.equal(await registered(), true, 'naive stays registered until its lease expires');
    } else if (mode === 'seed-fix') {
      await waitUntil('seed-fix to deregister', async () => !(await registered()));
      // Graceful stop with no deadline waits for the stream, which never ends by itself.
      const exitedEarly = await Promise.race([
        service.exited.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(resolve, TEST_SHORT_TIMEOUT_MS * 3, false)),
      ]);
      assert.equal(exitedEarly, false, 'seed-fix exited with a stream open');
      call.cancel();
      assert.equal((await service.exited).code, 0);
    } else {
      const status = await stream.status;
      assert.equal(status.code, GrpcStatus.OK, status.details);
      assert.equal(stream.messages.at(-1)?.last, true);
      assert.equal((await service.exited).code, 0);
      assert.equal(await registered(), false);
    }
  }
});
