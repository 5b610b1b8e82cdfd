import type { EventEmitter } from 'node:events';

// biome-ignore lint/suspicious/noExplicitAny: listeners of any event, as EventEmitter types them
type Listener = (this: unknown, a?: any, b?: any, c?: any, d?: any) => void;

/**
 * Runs `ours` ahead of the listeners `emitter` has for `event` now, as one listener: when an
 * event has more than one, EventEmitter copies its listener array on every emit, which costs more
 * per request than lameduck's own bookkeeping. `ours` returning false keeps the event from the
 * listeners it runs ahead of. Listeners added later are the emitter's own again: they run after,
 * whatever `ours` returned. Returns the function that puts the listeners back as they were.
 *
 * `argumentCount` is how many arguments the emitter passes (node:http's `request`: 2; node:http2's
 * `stream`: 4): they are passed on one by one, not as an array (no allocation per event), and the
 * combined listener declares exactly as many, as a call with fewer arguments than its callee
 * declares takes a slower path in V8 (about 50 instructions per request, counted by callgrind).
 */
export function runFirst(
  emitter: EventEmitter,
  event: string,
  argumentCount: 2 | 4,
  // biome-ignore lint/suspicious/noExplicitAny: the event's arguments, whatever they are
  ours: (a: any, b: any, c?: any, d?: any) => unknown,
): () => void {
  // Raw: a `once` listener keeps its wrapper, which fires once however often it is called.
  const theirs = emitter.rawListeners(event) as Listener[];
  // The usual case, one listener (the application's): called directly, with no loop, V8 inlines
  // it here (about 60 instructions per request less, counted).
  const only = theirs.length === 1 ? theirs[0] : undefined;
  const combined =
    argumentCount === 2
      ? function (this: unknown, a: unknown, b: unknown): void {
          if (ours(a, b) === false) return;
          if (only !== undefined) only.call(this, a, b);
          else for (const listener of theirs) listener.call(this, a, b);
        }
      : function (this: unknown, a: unknown, b: unknown, c: unknown, d: unknown): void {
          if (ours(a, b, c, d) === false) return;
          if (only !== undefined) only.call(this, a, b, c, d);
          else for (const listener of theirs) listener.call(this, a, b, c, d);
        };
  emitter.removeAllListeners(event);
  emitter.on(event, combined);
  return () => {
    emitter.off(event, combined);
    for (const listener of theirs) emitter.on(event, listener);
  };
}
