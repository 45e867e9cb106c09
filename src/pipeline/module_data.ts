/**
 * A `pipeline.ts` default export as it crosses from the loader worker to the
 * main thread: its JSON data as text (ten times cheaper to copy across than a
 * structured clone of many small objects), plus what JSON cannot say and
 * where it stood: functions (a stage's `run`), other values that are not
 * data, and the numbers, `undefined` and big integers JSON would change.
 *
 * @module
 */
import { isPlainObject } from "./params.ts";

/** A path into the definition: `["stages", "train", "run"]`. */
type DataPath = readonly (string | number)[];

/** A value JSON cannot carry, where it stood in the definition. */
type PlacedValue =
  | {
    readonly path: DataPath;
    readonly kind: ModuleValue["kind"];
    readonly description: string;
  }
  | {
    readonly path: DataPath;
    readonly kind: "literal";
    /** `NaN`, `±Infinity`, `undefined` or a bigint, restored as it was. */
    readonly value: number | bigint | undefined;
  };

/** What the loader worker sends: the definition's JSON and what JSON cannot carry. */
export interface ModuleData {
  /** The definition as JSON, with `null` in place of each of `placed`. */
  readonly json: string;
  readonly placed: readonly PlacedValue[];
}

/**
 * A value of a pipeline module that is not plain data, as the main thread
 * sees it: a function (a stage's `run`; the worker that runs the stage finds
 * it again by its export path) or anything else (a class instance, a symbol,
 * a circular reference), which validation rejects as not plain data.
 */
export class ModuleValue {
  /** `function`, or `other` for any other value that is not plain data. */
  readonly kind: "function" | "other";
  /** The function's name, or what the value is (`a Date`). */
  readonly description: string;

  /** Creates the stand-in for a value of the module. */
  constructor(kind: "function" | "other", description: string) {
    this.kind = kind;
    this.description = description;
  }
}

/** True for a function of a pipeline module (as sent from the loader worker). */
export function isModuleFunction(value: unknown): boolean {
  return value instanceof ModuleValue && value.kind === "function";
}

/**
 * Copies `definition` as data, reading every property (so a throwing getter
 * throws here, in the worker) and noting what JSON cannot carry.
 */
export function toModuleData(definition: unknown): ModuleData {
  const placed: PlacedValue[] = [];
  const visiting = new Set<object>();
  // The path of the value being copied; copied itself only for the rare value JSON cannot carry.
  const path: (string | number)[] = [];
  const place = (kind: ModuleValue["kind"], description: string) => {
    placed.push({ path: [...path], kind, description });
    return null;
  };
  const literal = (value: number | bigint | undefined) => {
    placed.push({ path: [...path], kind: "literal", value });
    return null;
  };
  const walk = (value: unknown): unknown => {
    if (typeof value === "function") return place("function", value.name || "anonymous");
    if (typeof value === "symbol") return place("other", "a symbol");
    if (typeof value === "number") return Number.isFinite(value) ? value : literal(value);
    if (typeof value === "undefined" || typeof value === "bigint") return literal(value);
    if (typeof value !== "object" || value === null) return value;
    if (visiting.has(value)) return place("other", "a circular reference");
    const isArray = Array.isArray(value);
    if (!isArray && !isPlainObject(value)) {
      return place("other", `a ${value.constructor?.name ?? "object"}`);
    }
    visiting.add(value);
    const copy = (isArray ? [] : {}) as Record<string | number, unknown>;
    for (const key of isArray ? value.keys() : Object.keys(value)) {
      path.push(key);
      copy[key] = walk((value as Record<string | number, unknown>)[key]);
      path.pop();
    }
    visiting.delete(value);
    return copy;
  };
  return { json: JSON.stringify(walk(definition)), placed };
}

/**
 * The definition of {@linkcode toModuleData}: functions and other values that
 * are not data as {@linkcode ModuleValue}s, everything else as it was.
 */
export function fromModuleData(data: ModuleData): unknown {
  let root: unknown = JSON.parse(data.json);
  for (const entry of data.placed) {
    const value = entry.kind === "literal"
      ? entry.value
      : new ModuleValue(entry.kind, entry.description);
    if (entry.path.length === 0) {
      root = value;
      continue;
    }
    let parent = root as Record<string | number, unknown>;
    for (const key of entry.path.slice(0, -1)) {
      parent = parent[key] as Record<string | number, unknown>;
    }
    parent[entry.path.at(-1)!] = value;
  }
  return root;
}
