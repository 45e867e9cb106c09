/**
 * A wake-up call between a loop that waits and the sources that give it
 * work: `wake()` from anywhere, `await wait(ms)` in the loop. A wake-up that
 * comes while nobody waits is kept for the next wait, so none is lost.
 *
 * @module
 */

/**
 * Lets one waiter sleep until woken or until a timeout.
 *
 * @example Waking a waiting loop
 * ```ts
 * import assert from "node:assert/strict";
 * import { Wakeup } from "./wakeup.ts";
 *
 * const wakeup = new Wakeup();
 * wakeup.wake(); // before anyone waits: kept
 * assert.equal(await wakeup.wait(10_000), true);
 * assert.equal(await wakeup.wait(1), false); // nothing new: the timeout ends the wait
 * ```
 */
export class Wakeup {
  #woken = false;
  #resolve: ((woken: boolean) => void) | null = null;

  /** Wakes the waiter (or the next one). */
  readonly wake = (): void => {
    this.#woken = true;
    this.#resolve?.(true);
  };

  /**
   * Waits until woken (`true`) or, when `ms` is given, until `ms`
   * milliseconds have passed (`false`).
   */
  async wait(ms?: number): Promise<boolean> {
    if (!this.#woken) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<boolean>((resolve) => {
        this.#resolve = resolve;
        if (ms !== undefined) timer = setTimeout(() => resolve(false), Math.max(0, ms));
      });
      clearTimeout(timer);
      this.#resolve = null;
    }
    const woken = this.#woken;
    this.#woken = false;
    return woken;
  }
}
