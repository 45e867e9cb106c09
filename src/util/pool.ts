/**
 * Calls `work` for every item with at most `limit` calls in flight, and
 * resolves once all have settled. `work` handles its own errors; one that
 * throws stops new calls from starting and is rethrown after the calls in
 * flight have finished. `shouldStop` is checked before each new call.
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { runPool } from "./pool.ts";
 *
 * const sizes: number[] = [];
 * await runPool(["a", "bb", "ccc"], 2, async (text) => {
 *   sizes.push(text.length);
 * });
 * assert.deepEqual(sizes.toSorted(), [1, 2, 3]);
 * ```
 */
export async function runPool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
  shouldStop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < items.length && !shouldStop()) {
      const index = next++;
      try {
        await work(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const count = Math.max(1, Math.min(limit, items.length));
  await Promise.all(Array.from({ length: count }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
}
