import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planLameDuck } from './lame-duck-plan.js';
import type { Participant } from './participant.js';

const server: Participant = { name: 'http', start() {}, stop() {} };
const registration = { ...server, name: 'etcd', advertisedIn: "etcd service 'echo'" };
const base = {
  kubernetes: false,
  minLameDuckMs: 2000,
  maxLameDuckMs: 14_000,
  quietFloorMs: 500,
  participants: [server],
};
const configured = { minWaitMs: 2000, maxWaitMs: 14_000, quietFloorMs: 500 };

test('Ctrl-C outside Kubernetes with nothing advertised skips the wait, saying why', () => {
  const plan = planLameDuck({ ...base, trigger: 'SIGINT' });
  assert.equal(plan.minWaitMs, 0);
  assert.equal(plan.maxWaitMs, 0);
  assert.equal(plan.quietFloorMs, 0);
  assert.match(
    plan.skipped ?? '',
    /^SIGINT outside Kubernetes \(KUBERNETES_SERVICE_HOST is unset\)/,
  );
});

test('the wait is kept in a pod, for SIGTERM and preStop, and with a registry participant', () => {
  assert.deepEqual(planLameDuck({ ...base, trigger: 'SIGINT', kubernetes: true }), configured);
  assert.deepEqual(planLameDuck({ ...base, trigger: 'SIGTERM' }), configured);
  assert.deepEqual(planLameDuck({ ...base, trigger: 'prestop' }), configured);
  assert.deepEqual(
    planLameDuck({ ...base, trigger: 'SIGINT', participants: [registration, server] }),
    configured,
  );
});
