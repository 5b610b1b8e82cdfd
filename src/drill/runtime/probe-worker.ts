/**
 * A kubelet probe worker: runs a probe every `periodSeconds` (after `initialDelaySeconds`; the
 * next one waits for a slow one), and turns results into a verdict after `successThreshold`
 * successes or `failureThreshold` failures in a row.
 */
import type { ProbeSpec } from '../model/drill-spec.js';
import { type ProbeResult, type ProbeTarget, runProbe } from './probe.js';

/** A running worker. */
export interface ProbeWorker {
  /** Stops probing; a probe in flight is ignored. Idempotent. */
  stop(): void;
}

/** Options of {@link startProbeWorker}. */
export interface ProbeWorkerOptions {
  spec: ProbeSpec;
  target: ProbeTarget;
  /** While true (a hung node), no probe runs and no verdict is reported. */
  paused(): boolean;
  /** Called when the verdict changes (the first verdict too): `detail` for a failure. */
  onVerdict(ok: boolean, detail: string): void;
}

/** Starts a worker. */
export function startProbeWorker(options: ProbeWorkerOptions): ProbeWorker {
  const { spec, target } = options;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let successes = 0;
  let failures = 0;
  let verdict: boolean | undefined;
  const periodMs = Math.max(1, spec.periodSeconds) * 1000;
  const timeoutMs = Math.max(1, spec.timeoutSeconds) * 1000;

  const settle = (result: ProbeResult): void => {
    if (result.ok) {
      successes += 1;
      failures = 0;
      if (verdict !== true && successes >= spec.successThreshold) {
        verdict = true;
        options.onVerdict(true, '');
      }
    } else {
      failures += 1;
      successes = 0;
      if (verdict !== false && failures >= spec.failureThreshold) {
        verdict = false;
        options.onVerdict(false, result.detail);
      }
    }
  };
  const tick = async (): Promise<void> => {
    if (stopped) return;
    const startedAtMs = performance.now();
    if (!options.paused()) {
      const result = await runProbe(spec.handler, target, timeoutMs);
      if (stopped) return;
      if (!options.paused()) settle(result);
    }
    const waitMs = Math.max(0, startedAtMs + periodMs - performance.now());
    timer = setTimeout(() => void tick(), waitMs);
  };
  timer = setTimeout(() => void tick(), spec.initialDelaySeconds * 1000);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
