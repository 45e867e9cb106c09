/** True for a plain mapping (not an array, not `null`). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Flattens nested mappings into one level with `.`-joined keys
 * (`{a: {b: 1}}` → `{"a.b": 1}`). Lists stay values; empty mappings
 * disappear.
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { flattenValues } from "./flatten_values.ts";
 *
 * assert.deepEqual(
 *   flattenValues({ train: { loss: 0.1, acc: 0.9 }, epochs: 3 }),
 *   { "train.loss": 0.1, "train.acc": 0.9, epochs: 3 },
 * );
 * ```
 */
export function flattenValues(value: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  const walk = (item: Readonly<Record<string, unknown>>, prefix: string): void => {
    for (const [key, child] of Object.entries(item)) {
      if (isMapping(child)) walk(child, `${prefix}${key}.`);
      else flat[`${prefix}${key}`] = child;
    }
  };
  walk(value, "");
  return flat;
}
