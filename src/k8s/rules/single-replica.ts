/**
 * One replica behind a Service: every rollout step, eviction, container restart or node failure
 * leaves the Service with no endpoint at all, and requests fail until a new pod is Ready. A node
 * that crashes is only noticed after the node-monitor grace period (40–50 s) and its pods are
 * replaced after a further 300 s `tolerationSeconds`: the incident's first failure.
 */
import type { LintRule } from '../lint-rule.js';
import { isRecord } from '../manifest-loader.js';

/** Kinds whose replica count is theirs to set (a DaemonSet runs one pod per node). */
const replicatedKinds = new Set(['Deployment', 'StatefulSet', 'Rollout']);

/** `single-replica`: a Deployment, StatefulSet or Rollout behind a Service runs one pod. */
export const singleReplicaRule: LintRule = {
  id: 'single-replica',
  severity: 'warning',
  summary: 'one replica behind a Service: every restart or node failure is an outage',
  check({ workload, services }) {
    if (!replicatedKinds.has(workload.kind) || services.length === 0) return [];
    // 0 is a workload switched off on purpose: nothing is expected to serve.
    if (workload.replicas !== 1) return [];
    const spec = isRecord(workload.object.value.spec) ? workload.object.value.spec : {};
    // Unset is also what a HorizontalPodAutoscaler's target looks like: say so.
    const unset =
      spec.replicas === undefined
        ? ' (replicas is unset; ignore this if a HorizontalPodAutoscaler scales it)'
        : '';
    return [
      {
        message:
          `${workload.kind} ${workload.name} runs 1 replica behind a Service${unset}: every ` +
          'restart, eviction or node failure leaves the Service with no pod to send requests to, ' +
          'an outage until a new pod is Ready (minutes when a node crashes). Run at least 2, ' +
          'spread across nodes.',
        path: ['spec', 'replicas'],
      },
    ];
  },
};
