import type { EventEmitter } from 'node:events';

// biome-ignore lint/suspicious/noExplicitAny: listeners of any event, as EventEmitter types them
type Listener = (...args: any[]) => void;

/**
 * Keeps each of `listeners` first on its event of `emitter` while the application has a listener
 * of its own there, and off it otherwise. For the events whose mere listeners change what Node
 * does: without a `checkContinue`, `checkExpectation` or `upgrade` listener, node:http answers
 * those requests itself (or serves them as plain requests). Follows the listeners the application
 * adds and removes later, so the order of set-up does not matter. Returns the function that takes
 * them off for good.
 */
export function listenAlongside(
  emitter: EventEmitter,
  listeners: Readonly<Record<string, Listener>>,
): () => void {
  const isOn = (event: string, ours: Listener): boolean => emitter.listeners(event).includes(ours);
  // 'newListener' comes just before the application's listener is added.
  const onNewListener = (event: string | symbol, added: Listener): void => {
    const ours = typeof event === 'string' ? listeners[event] : undefined;
    if (ours !== undefined && added !== ours && !isOn(event as string, ours)) {
      emitter.prependListener(event, ours);
    }
  };
  // 'removeListener' comes just after one is removed: ours goes with the application's last.
  const onRemoveListener = (event: string | symbol): void => {
    const ours = typeof event === 'string' ? listeners[event] : undefined;
    if (ours !== undefined && emitter.listenerCount(event) === 1 && isOn(event as string, ours)) {
      emitter.off(event, ours);
    }
  };
  for (const [event, ours] of Object.entries(listeners)) {
    if (emitter.listenerCount(event) > 0) emitter.prependListener(event, ours);
  }
  emitter.on('newListener', onNewListener);
  emitter.on('removeListener', onRemoveListener);
  return () => {
    emitter.off('newListener', onNewListener);
    emitter.off('removeListener', onRemoveListener);
    for (const [event, ours] of Object.entries(listeners)) emitter.off(event, ours);
  };
}
