/**
 * Stop points for long synchronous loops (placing or caching thousands of
 * files): a stop signal is delivered by the event loop, which a loop of
 * synchronous file operations never lets run, so such a loop must give it a
 * turn now and then to hear a stop.
 *
 * @module
 */

/**
 * How often a loop lets a stop signal in (a turn of the event loop costs a
 * millisecond or two): a stop is heard that soon, and the turns cost a few
 * percent of a loop's time at most, whatever its number of items.
 */
const LOOK_EVERY_MS = 50;

/**
 * A check for a loop to await once per item: every 50 ms it lets the event
 * loop turn once and throws the signal's reason when `signal` was aborted;
 * otherwise it returns at once. Without a signal it never yields.
 */
export function stopLook(signal: AbortSignal | undefined): () => Promise<void> {
  if (signal === undefined) return () => Promise.resolve();
  let next = performance.now() + LOOK_EVERY_MS;
  return async () => {
    if (performance.now() < next) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    signal.throwIfAborted();
    next = performance.now() + LOOK_EVERY_MS;
  };
}
