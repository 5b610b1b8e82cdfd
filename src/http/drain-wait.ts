// Loopback or a data-centre network acknowledges a FIN or GOAWAY in well under this.
const defaultLingeringMs = 1000;

/** What {@link waitForDrain} waits on. */
export interface DrainWaitOptions {
  /** Resolves once no request or call is in flight. */
  idle: Promise<void>;
  /** Resolves once the listener is closed and every connection has ended. */
  closed: Promise<unknown>;
  /** The budget's signal: when it aborts, the wait ends and the caller forces what is left. */
  signal: AbortSignal;
  /** How long connections may stay open once idle. Default: 1000. */
  lingeringMs?: number;
  /** Destroys the connections still open; returns how many there were. */
  destroyConnections(): number;
}

/** How the wait ended, and what was cut short on the way. */
export interface DrainWaitResult {
  /** True when the budget ran out first: the caller forces what is left. */
  aborted: boolean;
  /** Connections destroyed because they stayed open after the last request. */
  cutShort: string[];
}

/**
 * Waits until a server has drained: nothing in flight and every connection closed. Once nothing
 * is in flight, connections get `lingeringMs` to close (a caller acknowledging the final GOAWAY or
 * FIN, a TLS handshake that will carry no request); those still open are then destroyed and
 * reported, so that a peer that never closes its side cannot hold the shutdown until the budget.
 */
export async function waitForDrain(options: DrainWaitOptions): Promise<DrainWaitResult> {
  const { idle, closed, signal, destroyConnections } = options;
  const lingeringMs = options.lingeringMs ?? defaultLingeringMs;
  const cutShort: string[] = [];
  let lingerTimer: NodeJS.Timeout | undefined;
  let settled = false;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted');
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  const finished = Promise.all([idle, closed]).then(() => 'finished' as const);
  const lingering = idle.then(
    () =>
      new Promise<'lingering'>((resolve) => {
        if (!settled) lingerTimer = setTimeout(resolve, lingeringMs, 'lingering');
      }),
  );
  try {
    const outcome = await Promise.race([finished, lingering, aborted]);
    if (outcome === 'lingering') {
      const count = destroyConnections();
      cutShort.push(
        `${count} connection(s) still open ${lingeringMs} ms after the last request ended, destroyed`,
      );
      await Promise.race([finished, aborted]);
    }
    return { aborted: signal.aborted, cutShort };
  } finally {
    settled = true;
    clearTimeout(lingerTimer);
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}
