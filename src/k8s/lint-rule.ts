/**
 * What a lint rule is: a pure function from one workload, with the Services and PDBs that select
 * its pods, to findings. Rules do no I/O; fixes edit the in-memory YAML document.
 */
import type { ManifestPath, SourceLocation } from './manifest-loader.js';
import type {
  AutoscalerView,
  ContainerView,
  PdbView,
  ServiceView,
  WorkloadView,
} from './workload.js';

/** How bad a finding is: `error` fails `lameduck lint` (exit 1). */
export type Severity = 'error' | 'warning' | 'info';

/** A change to a manifest that removes a finding; applied by `--fix`. */
export interface ManifestFix {
  /** What the fix does, in a few words: "add a preStop httpGet to /lameduck/prestop". */
  description: string;
  /** Edits the object's YAML document in place, keeping comments and formatting. */
  apply(): void;
}

/** What a rule reports; the runner adds the rule id, severity and object. */
export interface RuleFinding {
  /** What will go wrong and how to fix it. */
  message: string;
  /** Where, in the workload's object (or another object, with `at`). */
  path: ManifestPath;
  /** The location, when it is in another object than the workload (a PDB). */
  at?: SourceLocation;
  /** Lower than the rule's, for a finding the manifests cannot settle (a value set elsewhere). */
  severity?: Severity;
  fix?: ManifestFix;
}

/** One reported problem. */
export interface Finding {
  ruleId: string;
  severity: Severity;
  /** `Kind/name` of the object the finding is about. */
  object: string;
  message: string;
  location: SourceLocation;
  fix?: FindingFix;
}

/**
 * A finding's fix, with the file its edits land in: the workload's, which is not always the
 * file the finding points at (a ConfigMap key, an autoscaler, a Service).
 */
export interface FindingFix extends ManifestFix {
  readonly file: string;
}

/** Settings every rule may read. */
export interface LintSettings {
  /** The Kubernetes version the manifests target, as `[major, minor]`. */
  k8sVersion: readonly [number, number];
}

/** What a rule looks at: one workload and what selects it. */
export interface WorkloadContext {
  readonly workload: WorkloadView;
  /** Services whose selector matches the pod template's labels, in the same namespace. */
  readonly services: readonly ServiceView[];
  /** PDBs whose selector matches the pod template's labels, in the same namespace. */
  readonly pdbs: readonly PdbView[];
  /** The HorizontalPodAutoscaler (or KEDA ScaledObject) that scales it, if any. */
  readonly autoscaler: AutoscalerView | undefined;
  readonly settings: LintSettings;
}

/** A lint rule. */
export interface LintRule {
  /** Stable kebab-case id, used by `--disable` and `lameduck.io/ignore`. */
  readonly id: string;
  /** The severity of its findings, unless a finding gives its own. */
  readonly severity: Severity;
  /** One line: what the rule catches. */
  readonly summary: string;
  check(context: WorkloadContext): RuleFinding[];
}

/** The app containers of a workload (not native sidecars). */
export function appContainers(workload: WorkloadView): ContainerView[] {
  return workload.containers.filter((container) => !container.sidecar);
}

/** How many pods a workload runs: its `replicas`, or its autoscaler's range. */
export interface ReplicaRange {
  min: number;
  max: number;
  /** `3 replicas`, or `1–10 replicas (HorizontalPodAutoscaler web)`, for messages. */
  text: string;
}

/** The replicas of the context's workload; `undefined` for a DaemonSet (one per node). */
export function replicaRange({ workload, autoscaler }: WorkloadContext): ReplicaRange | undefined {
  if (workload.replicas === undefined) return undefined;
  if (autoscaler === undefined) {
    const count = workload.replicas;
    return { min: count, max: count, text: `${count} replica${count === 1 ? '' : 's'}` };
  }
  const { minReplicas: min, object } = autoscaler;
  const max = autoscaler.maxReplicas ?? min;
  return { min, max, text: `${min}–${max} replicas (${object.kind} ${object.name})` };
}
