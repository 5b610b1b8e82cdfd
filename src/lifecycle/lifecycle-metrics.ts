import { Counter, Gauge, type Registry } from 'prom-client';
import { type PhaseKind, phaseKinds } from './phase.js';

/** The lifecycle's metrics, registered on one prom-client registry. */
export interface LifecycleMetrics {
  /** Records that `phase` lasted `durationMs`. */
  phaseEnded(phase: PhaseKind, durationMs: number): void;
  /** Counts work a participant had to cut off. */
  forced(participant: string, count: number): void;
}

/**
 * Registers `lameduck_phase`, `lameduck_in_flight`, `lameduck_phase_duration_seconds` and
 * `lameduck_forced_closes_total` on `registry`. Phase and in-flight are read when scraped.
 */
export function createLifecycleMetrics(
  registry: Registry,
  read: { phase(): PhaseKind; inFlight(): number },
): LifecycleMetrics {
  new Gauge({
    name: 'lameduck_phase',
    help: 'The lifecycle phase: 1 for the current one, 0 for the others.',
    labelNames: ['phase'],
    registers: [registry],
    collect() {
      const current = read.phase();
      for (const phase of phaseKinds) this.set({ phase }, phase === current ? 1 : 0);
    },
  });
  new Gauge({
    name: 'lameduck_in_flight',
    help: 'Requests and calls in flight across every participant.',
    registers: [registry],
    collect() {
      this.set(read.inFlight());
    },
  });
  const phaseDuration = new Gauge({
    name: 'lameduck_phase_duration_seconds',
    help: 'How long each finished phase lasted.',
    labelNames: ['phase'],
    registers: [registry],
  });
  const forcedCloses = new Counter({
    name: 'lameduck_forced_closes_total',
    help: 'Requests, streams or connections cut off because the shutdown budget ran out.',
    labelNames: ['participant'],
    registers: [registry],
  });
  return {
    phaseEnded: (phase, durationMs) => phaseDuration.set({ phase }, durationMs / 1000),
    forced: (participant, count) => forcedCloses.inc({ participant }, count),
  };
}
