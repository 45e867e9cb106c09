import { isMapping } from "./flatten_values.ts";

/** How a key's value differs between two versions. */
export type ChangeStatus = "added" | "removed" | "modified" | "unchanged";

/** One key compared across two versions. */
export interface ValueChange {
  /** Flattened key (`train.loss`). */
  readonly key: string;
  /** The old value, or `null` when the key is absent there. */
  readonly old: unknown;
  /** The new value, or `null` when the key is absent there. */
  readonly new: unknown;
  readonly status: ChangeStatus;
  /** `new - old` when both are numbers, else `null`. */
  readonly change: number | null;
  /** The change in percent of `|old|` when both are numbers and `old` is not 0, else `null`. */
  readonly percent: number | null;
}

/** Options for {@linkcode diffValues}. */
export interface DiffValuesOptions {
  /** Also list keys whose value did not change. @default {false} */
  unchanged?: boolean;
}

/**
 * Compares two flat mappings key by key, in the order the keys appear (the
 * new version's first, then those only the old one has). `null` stands for
 * a version that does not exist. Values are equal when their JSON is (key
 * order aside); differences are rounded to 12 significant digits, so
 * `0.85 - 0.8` is `0.05`.
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { diffValues } from "./diff_values.ts";
 *
 * assert.deepEqual(diffValues({ loss: 0.4, epochs: 3 }, { loss: 0.3, epochs: 3 }), [
 *   { key: "loss", old: 0.4, new: 0.3, status: "modified", change: -0.1, percent: -25 },
 * ]);
 * ```
 */
export function diffValues(
  oldValues: Readonly<Record<string, unknown>> | null,
  newValues: Readonly<Record<string, unknown>> | null,
  options: DiffValuesOptions = {},
): ValueChange[] {
  const { unchanged = false } = options;
  const before = oldValues ?? {};
  const after = newValues ?? {};
  const keys = [...new Set([...Object.keys(after), ...Object.keys(before)])];
  const changes: ValueChange[] = [];
  for (const key of keys) {
    const inOld = Object.hasOwn(before, key);
    const inNew = Object.hasOwn(after, key);
    const old = inOld ? before[key] : null;
    const next = inNew ? after[key] : null;
    const status: ChangeStatus = !inOld
      ? "added"
      : !inNew
      ? "removed"
      : canonicalJson(old) === canonicalJson(next)
      ? "unchanged"
      : "modified";
    if (status === "unchanged" && !unchanged) continue;
    const numeric = typeof old === "number" && typeof next === "number";
    changes.push({
      key,
      old,
      new: next,
      status,
      change: numeric ? round12(difference(old, next)) : null,
      percent: numeric && old !== 0 ? round12((difference(old, next) / Math.abs(old)) * 100) : null,
    });
  }
  return changes;
}

/** JSON with mapping keys sorted, so `{a, b}` and `{b, a}` compare equal. */
export function canonicalJson(value: unknown): string {
  const sort = (item: unknown): unknown => {
    if (Array.isArray(item)) return item.map(sort);
    if (!isMapping(item)) return item;
    return Object.fromEntries(Object.keys(item).sort().map((key) => [key, sort(item[key])]));
  };
  return JSON.stringify(sort(value)) ?? "null";
}

/** `next - old`, 0 when it is only floating-point noise (within 1e-12 of the larger operand). */
function difference(old: number, next: number): number {
  const change = next - old;
  return Math.abs(change) <= Math.max(Math.abs(old), Math.abs(next)) * 1e-12 ? 0 : change;
}

function round12(value: number): number {
  return Number(value.toPrecision(12));
}
