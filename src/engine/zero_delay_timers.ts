/**
 * Waiting for the timers user code set with no delay, and only for those:
 * after a stage function returns, its worker lets such a timer fire before
 * it reports the stage done, so the timer's error fails the stage instead of
 * surfacing after the stage was recorded. A `setTimeout(…, 0)` of our own
 * would do that for every stage, but costs ~2 ms each (the runtime's timers
 * fire no sooner than a millisecond later), most of a small stage's time; so
 * the global `setTimeout` and `setInterval` are wrapped to count the pending
 * ones set with no delay, and the wait is a timer only when one is pending.
 * Timers set through `node:timers` are not seen (its module calls the
 * runtime's timers directly): their errors are reported as they come.
 *
 * @module
 */
import { setImmediate } from "node:timers";

/** The timer functions of a global scope, as this module calls them. */
interface TimerFunctions {
  setTimeout(handler: unknown, delay?: unknown, ...args: unknown[]): unknown;
  setInterval(handler: unknown, delay?: unknown, ...args: unknown[]): unknown;
  clearTimeout(id?: unknown): void;
  clearInterval(id?: unknown): void;
}

/** Counts the pending timers set with no delay; install once per worker. */
export class ZeroDelayTimers {
  readonly #pending = new Set<unknown>();
  #setTimeout: TimerFunctions["setTimeout"] = setTimeout;

  /** Wraps `scope`'s `setTimeout`, `setInterval`, `clearTimeout` and `clearInterval`. */
  install(scope: typeof globalThis): void {
    const timers = scope as unknown as TimerFunctions;
    const pending = this.#pending;
    const set = timers.setTimeout.bind(scope);
    const every = timers.setInterval.bind(scope);
    const clear = timers.clearTimeout.bind(scope);
    const stop = timers.clearInterval.bind(scope);
    this.#setTimeout = set;
    const noDelay = (delay: unknown) => !(Number(delay) > 0);
    timers.setTimeout = (handler, delay, ...args) => {
      if (!noDelay(delay) || typeof handler !== "function") return set(handler, delay, ...args);
      const id = set(
        (...given: unknown[]) => {
          pending.delete(id);
          return handler(...given);
        },
        delay,
        ...args,
      );
      pending.add(id);
      return id;
    };
    timers.setInterval = (handler, delay, ...args) => {
      const id = every(handler, delay, ...args);
      if (noDelay(delay)) pending.add(id);
      return id;
    };
    timers.clearTimeout = (id) => {
      pending.delete(id);
      clear(id);
    };
    timers.clearInterval = (id) => {
      pending.delete(id);
      stop(id);
    };
  }

  /**
   * Resolves once the timers set with no delay so far have fired, and a
   * promise left rejected has been reported (one turn of the event loop).
   */
  async settle(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.#pending.size > 0) await new Promise((resolve) => this.#setTimeout(resolve, 0));
  }
}
