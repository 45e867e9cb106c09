/**
 * Holding this process's clock at one moment, so that a command run in
 * process starts (by its own `Date.now()`) at that moment however long the
 * machine makes it wait for a core: a test of what happens within the racy
 * window of a change then does not depend on the load. Each test file runs
 * in a worker of its own, so the clock of other files is left alone.
 *
 * @module
 */

/**
 * Makes `Date.now()` return `ms` until the returned object is disposed
 * (`using held = holdClock(ms)`); `new Date()` and timers keep the real time.
 */
export function holdClock(ms: number): Disposable {
  const now = Date.now;
  Date.now = () => ms;
  return {
    [Symbol.dispose]() {
      Date.now = now;
    },
  };
}
