/**
 * One replica behind a Service: every rollout step, eviction, container restart or node failure
 * leaves the Service with no endpoint at all, and requests fail until a new pod is Ready. A node
 * that crashes is only noticed after the node-monitor grace period (40–50 s) and its pods are
 * replaced after a further 300 s `tolerationSeconds`: the incident's first failure.
 */
import { type LintRule, type RuleFinding, replicaRange } from '../lint-rule.js';

/** Kinds whose replica count is theirs to set (a DaemonSet runs one pod per node). */
const replicatedKinds = new Set(['Deployment', 'StatefulSet', 'Rollout']);

/** `single-replica`: a Deployment, StatefulSet or Rollout behind a Service runs one pod. */
export const singleReplicaRule: LintRule = {
  id: 'single-replica',
  severity: 'warning',
  summary: 'one replica behind a Service: every restart or node failure is an outage',
  check(context) {
    const { workload, services, autoscaler } = context;
    if (!replicatedKinds.has(workload.kind) || services.length === 0) return [];
    // 0 is a workload switched off (or scaled to zero) on purpose: nothing is expected to serve.
    if (replicaRange(context)?.min !== 1) return [];
    const consequence =
      'every restart, eviction or node failure leaves the Service with no pod to send requests ' +
      'to, an outage until a new pod is Ready (minutes when a node crashes).';
    // Unset is also what an autoscaler's target looks like: one not among the manifests.
    const unset =
      workload.spec.replicas === undefined
        ? ' (replicas is unset; if an autoscaler scales it, lint its manifest too)'
        : '';
    const finding: RuleFinding =
      autoscaler === undefined
        ? {
            message:
              `${workload.kind} ${workload.name} runs 1 replica behind a Service${unset}: ${consequence} ` +
              'Run at least 2, spread across nodes.',
            path: ['spec', 'replicas'],
          }
        : {
            message:
              `${autoscaler.object.kind} ${autoscaler.object.name} lets ${workload.kind} ` +
              `${workload.name} scale down to 1 replica behind a Service: at the quietest hour ` +
              `${consequence} Keep at least 2.`,
            path: ['spec', 'replicas'],
            at: autoscaler.object.locate(autoscaler.minReplicasPath),
          };
    return [finding];
  },
};
