/**
 * Ctrl-C and SIGTERM for command-line tools that start processes of their own (the drill): the
 * first signal calls `handler`, which stops what was started; a second one exits at once with
 * 130, for a user who will not wait. This module keeps the rule that only `src/lifecycle/`
 * touches `process.on` and `process.exit`.
 */
export function onInterrupt(handler: (signal: NodeJS.Signals) => void): () => void {
  let interrupted = false;
  const listener = (signal: NodeJS.Signals): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    handler(signal);
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}
