/**
 * What a lint rule is: a pure function from one workload, with the Services and PDBs that select
 * its pods, to findings. Rules do no I/O; fixes edit the in-memory YAML document.
 */
import type { ManifestPath, SourceLocation } from './manifest-loader.js';
import type { ContainerView, PdbView, ServiceView, WorkloadView } from './workload.js';

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
  fix?: ManifestFix;
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
