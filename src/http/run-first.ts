import type { EventEmitter } from 'node:events';

// biome-ignore lint/suspicious/noExplicitAny: listeners of any event, as EventEmitter types them
type Listener = (this: unknown, a?: any, b?: any, c?: any, d?: any) => void;

/**
 * Runs `ours` ahead of the listeners `emitter` has for `event` now, as one listener: when an
 * event has more than one, EventEmitter copies its listener array on every emit, which costs more
 * per request than lameduck's own bookkeeping. For events of up to four arguments (passed on one
 * by one, not as an array: no allocation per event). `ours` returning false keeps the event from
 * the listeners it runs ahead of. Listeners added later are the emitter's own again: they run
 * after, whatever `ours` returned. Returns the function that puts the listeners back as they
 * were.
 */
export function runFirst(
  emitter: EventEmitter,
  event: string,
  // biome-ignore lint/suspicious/noExplicitAny: the event's arguments, whatever they are
  ours: (a: any, b: any, c: any, d: any) => unknown,
): () => void {
  // Raw: a `once` listener keeps its wrapper, which fires once however often it is called.
  const theirs = emitter.rawListeners(event) as Listener[];
  const combined = function (this: unknown, a: unknown, b: unknown, c: unknown, d: unknown): void {
    if (ours(a, b, c, d) === false) return;
    for (const listener of theirs) listener.call(this, a, b, c, d);
  };
  emitter.removeAllListeners(event);
  emitter.on(event, combined);
  return () => {
    emitter.off(event, combined);
    for (const listener of theirs) emitter.on(event, listener);
  };
}
