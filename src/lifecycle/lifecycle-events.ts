import type { LameDuckEndReason } from '../drain/quiet-period.js';
import type { LameduckError } from '../errors/lameduck-error.js';
import type { PhaseKind, ShutdownTrigger } from './phase.js';
import type { RefusalEvent } from './refusal-log.js';

/** Everything the lifecycle reports, as structured events. */
export type LifecycleEvent =
  | { type: 'config-invalid'; error: LameduckError }
  | { type: 'admin-listening'; host: string; port: number }
  | { type: 'phase-changed'; from: PhaseKind; to: PhaseKind; previousPhaseMs: number }
  | { type: 'participant-started'; name: string; durationMs: number }
  | {
      type: 'shutdown-started';
      trigger: ShutdownTrigger;
      budgetMs: number;
      gracePeriodSeconds: number;
    }
  | { type: 'trigger-joined'; trigger: ShutdownTrigger; phase: PhaseKind }
  | RefusalEvent
  | {
      type: 'lame-duck-started';
      /** The bounds of the wait (0 and 0 when skipped). */
      minWaitMs: number;
      maxWaitMs: number;
      /** The silence that ends the wait early, from the rate seen before the trigger. */
      quietPeriodMs: number;
      arrivalsPerSecond: number;
      /** Why there is no wait, when there is none. */
      skipped?: string;
    }
  | {
      type: 'lame-duck-ended';
      reason: LameDuckEndReason | 'skipped';
      waitedMs: number;
      quietPeriodMs: number;
      arrivalsPerSecond: number;
    }
  | { type: 'connections-nudged'; afterMs: number }
  | {
      type: 'participant-stopped';
      name: string;
      durationMs: number;
      forced: boolean;
      forcedWork: readonly string[];
      cutShort: readonly string[];
    }
  | {
      type: 'participant-failed';
      name: string;
      step: 'start' | 'lame-duck' | 'stop';
      error: LameduckError;
    }
  | { type: 'uncaught-error'; error: LameduckError }
  | { type: 'stopped'; exitCode: 0 | 1; shutdownMs: number; forced: readonly string[] }
  | { type: 'forced-exit'; reason: 'second-signal' | 'hard-deadline'; signal?: string }
  /** Drained after a preStop call: waiting for SIGTERM (or `maxWaitMs`, the budget's end) to exit. */
  | { type: 'exit-deferred'; reason: 'prestop'; maxWaitMs: number };

/** Receives lifecycle events. */
export type LifecycleListener = (event: LifecycleEvent) => void;
