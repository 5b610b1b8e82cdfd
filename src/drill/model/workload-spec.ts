/**
 * What the drill's cluster model needs to know of the workload under test: its controller's
 * settings, where its pods may go, and its disruption budget. Read from the manifests by
 * `drill-spec.ts`; pure data.
 */
import type { LabelSelector } from '../../k8s/workload.js';
import type { IntOrPercent } from './int-or-percent.js';

/** How the controller replaces pods on an update. */
export type UpdateStrategy =
  /** Deployment: surge and unavailability as given (resolved against the replica count). */
  | { type: 'RollingUpdate'; maxSurge: IntOrPercent; maxUnavailable: IntOrPercent }
  /** Deployment: every old pod gone before any new one. */
  | { type: 'Recreate' }
  /** StatefulSet: one pod at a time, highest ordinal first; ordinals below `partition` stay. */
  | { type: 'StatefulRollingUpdate'; partition: number };

/** A topology spread constraint of the pod template. */
export interface SpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway';
  selector: LabelSelector;
  /**
   * `nodeTaintsPolicy: Honor`: tainted nodes (cordoned, NotReady) are left out of the skew.
   * With the default `Ignore`, a cordoned node with no pod keeps the minimum at 0, and a
   * `DoNotSchedule` constraint with `maxSkew: 1` leaves a drained pod's replacement Pending.
   */
  honorTaints: boolean;
}

/** A pod anti-affinity term: no (or fewer) pods matching `selector` in the same topology. */
export interface AntiAffinityTerm {
  topologyKey: string;
  selector: LabelSelector;
  /** `undefined` for a required term; the weight of a preferred one. */
  weight: number | undefined;
}

/** A PodDisruptionBudget selecting the workload's pods. */
export interface DisruptionBudget {
  name: string;
  minAvailable: IntOrPercent | undefined;
  maxUnavailable: IntOrPercent | undefined;
}

/** The workload under test, as its controllers and the scheduler see it. */
export interface WorkloadSpec {
  kind: 'Deployment' | 'StatefulSet';
  name: string;
  replicas: number;
  strategy: UpdateStrategy;
  minReadySeconds: number;
  /** StatefulSet `OrderedReady`: pods start one at a time, each after the one before is Ready. */
  orderedReady: boolean;
  podLabels: Readonly<Record<string, string>>;
  spread: readonly SpreadConstraint[];
  antiAffinity: readonly AntiAffinityTerm[];
  pdb: DisruptionBudget | undefined;
}
