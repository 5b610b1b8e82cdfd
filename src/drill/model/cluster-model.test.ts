import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ClusterModel, createClusterModel, type ModelPod } from './cluster-model.js';
import { createRandom } from './random.js';
import type { WorkloadSpec } from './workload-spec.js';

const labels = { app: 'passport' };
const appSelector = { present: true, matchLabels: labels, matchExpressions: [] };

function workload(overrides: Partial<WorkloadSpec> = {}): WorkloadSpec {
  return {
    kind: 'Deployment',
    name: 'passport',
    replicas: 3,
    strategy: { type: 'RollingUpdate', maxSurge: '25%', maxUnavailable: '25%' },
    minReadySeconds: 0,
    orderedReady: false,
    podLabels: labels,
    spread: [],
    antiAffinity: [],
    pdb: undefined,
    ...overrides,
  };
}

/**
 * Drives a model with fake kubelets on a fake clock: a started pod runs after `startMs`, turns
 * ready `readyMs` later; a terminated pod is gone after `stopMs`. Nodes listed in `silent`
 * report nothing.
 */
function simulate(
  spec: WorkloadSpec,
  options: {
    nodeCount?: number;
    startMs?: number;
    readyMs?: number;
    stopMs?: number;
    nodeMonitorGraceMs?: number;
    notReadyTolerationMs?: number;
  } = {},
) {
  const { startMs = 100, readyMs = 400, stopMs = 1000 } = options;
  const model = createClusterModel({
    workload: spec,
    nodeCount: options.nodeCount ?? 3,
    nodeMonitorGraceMs: options.nodeMonitorGraceMs ?? 40_000,
    notReadyTolerationMs: options.notReadyTolerationMs ?? 300_000,
    random: createRandom(7),
  });
  let nowMs = 0;
  const silent = new Set<string>();
  const timers: Array<{ atMs: number; run: () => void }> = [];
  const at = (delayMs: number, run: () => void) => timers.push({ atMs: nowMs + delayMs, run });
  const reconcile = () => {
    for (const action of model.reconcile(nowMs)) {
      const { pod } = action;
      if (silent.has(pod.node ?? '')) continue;
      if (action.kind === 'start') {
        at(startMs, () => {
          if (silent.has(pod.node ?? '')) return;
          model.podStarted(pod.name, nowMs);
          at(readyMs, () => {
            if (pod.deletedAtMs === undefined && !silent.has(pod.node ?? '')) {
              model.podReadiness(pod.name, true, nowMs);
            }
          });
        });
      } else {
        at(stopMs, () => {
          if (!silent.has(pod.node ?? '')) model.podGone(pod.name, nowMs);
        });
      }
    }
  };
  /** Runs every timer and model wake-up due until `untilMs`. */
  const runUntil = (untilMs: number) => {
    reconcile();
    for (;;) {
      timers.sort((a, b) => a.atMs - b.atMs);
      const wakeAtMs = model.nextWakeAtMs(nowMs) ?? Number.POSITIVE_INFINITY;
      const next = Math.min(timers[0]?.atMs ?? Number.POSITIVE_INFINITY, wakeAtMs);
      if (next > untilMs) break;
      nowMs = next;
      while ((timers[0]?.atMs ?? Number.POSITIVE_INFINITY) <= nowMs) timers.shift()?.run();
      reconcile();
    }
    nowMs = untilMs;
    reconcile();
  };
  return {
    model,
    runUntil,
    now: () => nowMs,
    silence(node: string) {
      silent.add(node);
      model.nodeSilent(node, nowMs);
    },
  };
}

const activePods = (model: ClusterModel) =>
  model.pods.filter((p) => p.deletedAtMs === undefined && p.goneAtMs === undefined);
const byRevision = (pods: readonly ModelPod[], revision: number) =>
  pods.filter((p) => p.revision === revision).length;

/** The rollout as a list of steps: `+N` pods of the new revision created, `-N` old deleted. */
function rolloutSteps(model: ClusterModel): string[] {
  const steps: string[] = [];
  let lastAtMs: number | undefined;
  for (const event of model.events) {
    if (event.kind !== 'created' && event.kind !== 'deleted') continue;
    const pod = model.pods.find((p) => p.name === event.pod);
    if (pod === undefined || (event.kind === 'created' && pod.revision === 1)) continue;
    const sign = event.kind === 'created' ? '+' : '-';
    const last = steps.at(-1);
    if (last?.startsWith(sign) && lastAtMs === event.atMs) {
      steps[steps.length - 1] = `${sign}${Number(last.slice(1)) + 1}`;
    } else {
      steps.push(`${sign}1`);
    }
    lastAtMs = event.atMs;
  }
  return steps;
}

/** Runs a rollout and checks the controller's bounds at every event; returns its steps. */
function rollout(spec: WorkloadSpec, bounds: { maxTotal: number; minAvailable: number }) {
  const sim = simulate(spec);
  sim.runUntil(5_000);
  assert.equal(activePods(sim.model).length, spec.replicas);
  sim.model.startRollout(sim.now());
  const seen: Array<{ total: number; available: number }> = [];
  for (let t = 5_000; t <= 60_000; t += 50) {
    sim.runUntil(t);
    const active = activePods(sim.model);
    seen.push({
      total: active.length,
      available: active.filter((p) => sim.model.isAvailable(p, t)).length,
    });
  }
  assert.ok(sim.model.rolloutState(sim.now()).available, 'rollout finished');
  assert.ok(sim.model.rolloutState(sim.now()).oldPodsGone);
  assert.ok(Math.max(...seen.map((s) => s.total)) <= bounds.maxTotal, JSON.stringify(seen));
  assert.ok(Math.min(...seen.map((s) => s.available)) >= bounds.minAvailable, JSON.stringify(seen));
  return rolloutSteps(sim.model);
}

describe('drill cluster model', () => {
  test('a rolling update keeps within maxSurge and maxUnavailable, in the controller’s order', () => {
    // 25 % of 3: surge 1 (rounded up), unavailable 0 (rounded down).
    assert.deepEqual(rollout(workload(), { maxTotal: 4, minAvailable: 3 }), [
      '+1',
      '-1',
      '+1',
      '-1',
      '+1',
      '-1',
    ]);
    // maxSurge 0, maxUnavailable 1: one down, then its replacement.
    assert.deepEqual(
      rollout(workload({ strategy: { type: 'RollingUpdate', maxSurge: 0, maxUnavailable: 1 } }), {
        maxTotal: 3,
        minAvailable: 2,
      }),
      ['-1', '+1', '-1', '+1', '-1', '+1'],
    );
    // maxSurge 100 %: every new pod at once, then every old one once they are available.
    assert.deepEqual(
      rollout(
        workload({ strategy: { type: 'RollingUpdate', maxSurge: '100%', maxUnavailable: 0 } }),
        { maxTotal: 6, minAvailable: 3 },
      ),
      ['+3', '-3'],
    );
    // 4 replicas, 50 % / 50 %: two up and two down at once.
    assert.deepEqual(
      rollout(
        workload({
          replicas: 4,
          strategy: { type: 'RollingUpdate', maxSurge: '50%', maxUnavailable: '50%' },
        }),
        { maxTotal: 6, minAvailable: 2 },
      ),
      ['+2', '-2', '+2', '-2'],
    );
  });

  test('percentages that both round to zero give maxUnavailable 1, as ResolveFenceposts does', () => {
    assert.deepEqual(
      rollout(
        workload({ strategy: { type: 'RollingUpdate', maxSurge: '10%', maxUnavailable: '10%' } }),
        // 10 % of 3: surge rounds up to 1, unavailable down to 0; not both zero.
        { maxTotal: 4, minAvailable: 3 },
      ),
      ['+1', '-1', '+1', '-1', '+1', '-1'],
    );
    assert.deepEqual(
      rollout(
        workload({ strategy: { type: 'RollingUpdate', maxSurge: '0%', maxUnavailable: '10%' } }),
        { maxTotal: 3, minAvailable: 2 },
      ),
      ['-1', '+1', '-1', '+1', '-1', '+1'],
    );
  });

  test('minReadySeconds holds each old pod until the new one has been ready that long', () => {
    const sim = simulate(workload({ minReadySeconds: 5 }), { readyMs: 400 });
    sim.runUntil(10_000);
    sim.model.startRollout(sim.now());
    sim.runUntil(60_000);
    const firstNew = sim.model.pods.find((p) => p.revision === 2);
    const firstReady = sim.model.events.find((e) => e.kind === 'ready' && e.pod === firstNew?.name);
    const firstDeleted = sim.model.events.find(
      (e) => e.kind === 'deleted' && e.atMs >= 10_000 && e.detail === 'rolling-update',
    );
    assert.ok(firstReady && firstDeleted);
    assert.equal(firstDeleted.atMs - firstReady.atMs, 5_000);
    assert.ok(sim.model.rolloutState(sim.now()).available);
  });

  test('Recreate deletes every old pod and waits until they are gone before creating new ones', () => {
    const sim = simulate(workload({ strategy: { type: 'Recreate' } }), { stopMs: 3_000 });
    sim.runUntil(5_000);
    sim.model.startRollout(sim.now());
    sim.runUntil(20_000);
    const deleted = sim.model.events.filter((e) => e.kind === 'deleted');
    const lastGone = Math.max(
      ...sim.model.events.filter((e) => e.kind === 'gone').map((e) => e.atMs),
    );
    const created = sim.model.events.filter(
      (e) => e.kind === 'created' && e.detail === 'revision 2',
    );
    assert.equal(deleted.length, 3);
    assert.ok(deleted.every((e) => e.atMs === 5_000 && e.detail === 'recreate'));
    assert.equal(created.length, 3);
    assert.ok(
      created.every((e) => e.atMs >= lastGone),
      'new pods only once the old are gone',
    );
  });

  test('a PDB refuses an eviction that would leave too few healthy pods, then allows it', () => {
    const sim = simulate(
      workload({ pdb: { name: 'passport', minAvailable: undefined, maxUnavailable: 1 } }),
      { stopMs: 2_000 },
    );
    sim.runUntil(5_000);
    const [first, second] = activePods(sim.model);
    assert.ok(first && second);
    assert.deepEqual(sim.model.evict(first.name, sim.now()), { allowed: true });
    const refused = sim.model.evict(second.name, sim.now());
    assert.equal(refused.allowed, false);
    assert.match(
      (refused as { reason: string }).reason,
      /disruption budget 'passport': needs 2 healthy pods and has 2/,
    );
    // The replacement becomes ready (100 + 400 ms): the budget allows the next eviction.
    sim.runUntil(5_600);
    assert.deepEqual(sim.model.evict(second.name, sim.now()), { allowed: true });
    const budget = workload({
      pdb: { name: 'all', minAvailable: '100%', maxUnavailable: undefined },
    });
    const strict = simulate(budget);
    strict.runUntil(5_000);
    const [pod] = activePods(strict.model);
    assert.equal(strict.model.evict(pod?.name ?? '', strict.now()).allowed, false);
  });

  test('pods spread over nodes: by default, with a DoNotSchedule constraint, and anti-affinity', () => {
    const nodesOf = (spec: WorkloadSpec, nodeCount = 3) => {
      const sim = simulate(spec, { nodeCount });
      sim.runUntil(5_000);
      return {
        nodes: activePods(sim.model)
          .map((p) => p.node ?? 'pending')
          .sort(),
        events: sim.model.events,
      };
    };
    // The scheduler's default soft spreading puts one pod on each of three nodes.
    assert.deepEqual(nodesOf(workload()).nodes, ['node-1', 'node-2', 'node-3']);
    // maxSkew 1 on hosts with 5 replicas: 2, 2, 1.
    const spread = nodesOf(
      workload({
        replicas: 5,
        spread: [
          {
            maxSkew: 1,
            topologyKey: 'kubernetes.io/hostname',
            whenUnsatisfiable: 'DoNotSchedule',
            selector: appSelector,
            honorTaints: false,
          },
        ],
      }),
    ).nodes;
    const perNode = ['node-1', 'node-2', 'node-3'].map((n) => spread.filter((x) => x === n).length);
    assert.deepEqual([...perNode].sort(), [1, 2, 2]);
    // Required anti-affinity on hosts: a fourth replica on three nodes stays pending.
    const antiAffinity = nodesOf(
      workload({
        replicas: 4,
        antiAffinity: [
          { topologyKey: 'kubernetes.io/hostname', selector: appSelector, weight: undefined },
        ],
      }),
    );
    assert.deepEqual(antiAffinity.nodes, ['node-1', 'node-2', 'node-3', 'pending']);
    const unschedulable = antiAffinity.events.find((e) => e.kind === 'unschedulable');
    assert.match(unschedulable?.detail ?? '', /0\/3 nodes are available: .*pod anti-affinity/);
  });

  test('a drained pod’s replacement: Pending under maxSkew 1 unless nodeTaintsPolicy is Honor', () => {
    const placeAfterDrain = (honorTaints: boolean) => {
      const sim = simulate(
        workload({
          spread: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'DoNotSchedule',
              selector: appSelector,
              honorTaints,
            },
          ],
        }),
      );
      sim.runUntil(5_000);
      sim.model.cordon('node-1', sim.now());
      const victim = activePods(sim.model).find((p) => p.node === 'node-1');
      assert.ok(victim);
      assert.deepEqual(sim.model.evict(victim.name, sim.now()), { allowed: true });
      sim.runUntil(10_000);
      return activePods(sim.model).filter((p) => p.node === undefined).length;
    };
    // The cordoned node, empty, keeps the minimum at 0: a second pod elsewhere is a skew of 2.
    assert.equal(placeAfterDrain(false), 1);
    assert.equal(placeAfterDrain(true), 0);
  });

  test('a cordoned node gets no new pod', () => {
    const sim = simulate(workload());
    sim.model.cordon('node-2', 0);
    sim.runUntil(5_000);
    assert.ok(activePods(sim.model).every((p) => p.node !== 'node-2'));
  });

  test('a silent node turns NotReady after the monitor grace, its pods go after the toleration', () => {
    const sim = simulate(workload(), { nodeMonitorGraceMs: 4_000, notReadyTolerationMs: 6_000 });
    sim.runUntil(5_000);
    const victim = activePods(sim.model).find((p) => p.node === 'node-1');
    assert.ok(victim);
    sim.silence('node-1');
    sim.runUntil(8_999);
    assert.equal(sim.model.endpoints().find((e) => e.pod === victim.name)?.ready, true);
    sim.runUntil(9_000);
    assert.equal(sim.model.endpoints().find((e) => e.pod === victim.name)?.ready, false);
    assert.equal(sim.model.nodeNotReady('node-1', sim.now()), true);
    sim.runUntil(14_999);
    assert.equal(victim.deletedAtMs, undefined);
    sim.runUntil(15_000);
    assert.equal(victim.deletedAtMs, 15_000);
    assert.equal(victim.deletionReason, 'node-lost');
    // Its replacement goes to another node; the victim stays terminating (no kubelet to stop it).
    sim.runUntil(20_000);
    const running = activePods(sim.model);
    assert.equal(running.length, 3);
    assert.ok(running.every((p) => p.node !== 'node-1' && p.ready));
    assert.equal(victim.goneAtMs, undefined);
    const notReady = sim.model.events.find((e) => e.kind === 'node-not-ready');
    assert.equal(notReady?.atMs, 9_000);
  });

  test('a StatefulSet starts pods in order and updates from the highest ordinal, one at a time', () => {
    const sim = simulate(
      workload({
        kind: 'StatefulSet',
        orderedReady: true,
        strategy: { type: 'StatefulRollingUpdate', partition: 0 },
      }),
      { stopMs: 1_000 },
    );
    sim.runUntil(5_000);
    const created = sim.model.events
      .filter((e) => e.kind === 'created')
      .map((e) => [e.pod, e.atMs]);
    assert.deepEqual(created, [
      ['passport-0', 0],
      ['passport-1', 500],
      ['passport-2', 1_000],
    ]);
    sim.model.startRollout(sim.now());
    sim.runUntil(30_000);
    const updates = sim.model.events
      .filter((e) => e.atMs >= 5_000 && (e.kind === 'deleted' || e.kind === 'created'))
      .map((e) => `${e.kind} ${e.pod}`);
    assert.deepEqual(updates, [
      'deleted passport-2',
      'created passport-2',
      'deleted passport-1',
      'created passport-1',
      'deleted passport-0',
      'created passport-0',
    ]);
    assert.equal(byRevision(activePods(sim.model), 2), 3);
  });
});
