import { LameduckError } from '../errors/lameduck-error.js';

/** What started the shutdown. */
export type ShutdownTrigger = 'SIGTERM' | 'SIGINT' | 'prestop' | 'api' | 'start-failed';

/**
 * The lifecycle's phase. Readiness is true only in `serving`.
 *
 * created → starting → serving → lame-duck → draining → stopped; a shutdown during `starting`
 * goes straight to `draining`, since nothing was advertised yet.
 */
export type Phase =
  | { kind: 'created' }
  | { kind: 'starting'; startedAtMs: number }
  | { kind: 'serving'; startedAtMs: number }
  | { kind: 'lame-duck'; startedAtMs: number; trigger: ShutdownTrigger }
  | { kind: 'draining'; startedAtMs: number; trigger: ShutdownTrigger }
  | { kind: 'stopped'; startedAtMs: number; exitCode: 0 | 1 };

/** The name of a phase. */
export type PhaseKind = Phase['kind'];

/** Every phase name, in timeline order. */
export const phaseKinds: readonly PhaseKind[] = [
  'created',
  'starting',
  'serving',
  'lame-duck',
  'draining',
  'stopped',
];

const legalMoves: Record<PhaseKind, readonly PhaseKind[]> = {
  created: ['starting'],
  starting: ['serving', 'draining'],
  serving: ['lame-duck'],
  'lame-duck': ['draining'],
  draining: ['stopped'],
  stopped: [],
};

/**
 * Checks a phase change. Returns `next` when the move is legal; throws `invalid_state` naming both
 * phases otherwise.
 */
export function transition(current: Phase, next: Phase): Phase {
  if (!legalMoves[current.kind].includes(next.kind)) {
    throw new LameduckError(
      'invalid_state',
      `lifecycle: cannot move from ${current.kind} to ${next.kind}`,
    );
  }
  return next;
}
