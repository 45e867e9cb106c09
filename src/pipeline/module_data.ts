/**
 * A `pipeline.ts` default export as it crosses from the loader worker to the
 * main thread: plain data (what structured clone carries faithfully), plus
 * the places where something else stood, such as a stage's `run` function.
 *
 * @module
 */
import { isPlainObject } from "./params.ts";

/** A path into the definition: `["stages", "train", "run"]`. */
type DataPath = readonly (string | number)[];

/** Something that is not plain data, where it stood in the definition. */
interface OtherValue {
  readonly path: DataPath;
  readonly kind: ModuleValue["kind"];
  readonly description: string;
}

/** What the loader worker sends: the definition's plain data and where the rest stood. */
export interface ModuleData {
  /** The definition with `null` in place of each of `others`. */
  readonly value: unknown;
  readonly others: readonly OtherValue[];
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
 * Copies `definition` as plain data, reading every property (so a throwing
 * getter throws here, in the worker) and noting where functions and other
 * values stood.
 */
export function toModuleData(definition: unknown): ModuleData {
  const others: OtherValue[] = [];
  const visiting = new Set<object>();
  // The path of the value being copied; copied itself only for the rare value that is not data.
  const path: (string | number)[] = [];
  const other = (kind: OtherValue["kind"], description: string) => {
    others.push({ path: [...path], kind, description });
    return null;
  };
  const walk = (value: unknown): unknown => {
    if (typeof value === "function") return other("function", value.name || "anonymous");
    if (typeof value === "symbol") return other("other", "a symbol");
    if (typeof value !== "object" || value === null) return value;
    if (visiting.has(value)) return other("other", "a circular reference");
    const isArray = Array.isArray(value);
    if (!isArray && !isPlainObject(value)) {
      return other("other", `a ${value.constructor?.name ?? "object"}`);
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
  return { value: walk(definition), others };
}

/** The definition of {@linkcode toModuleData}, each other value as a {@linkcode ModuleValue}. */
export function fromModuleData(data: ModuleData): unknown {
  let root = data.value;
  for (const { path, kind, description } of data.others) {
    const value = new ModuleValue(kind, description);
    if (path.length === 0) {
      root = value;
      continue;
    }
    let parent = root as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    parent[path.at(-1)!] = value;
  }
  return root;
}
