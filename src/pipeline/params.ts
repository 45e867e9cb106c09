import { baseStageName } from "../identity/mod.ts";

/** A plain JSON-like object. */
export type PlainObject = Record<string, unknown>;

/** True when `value` is a plain object (not an array, not null). */
export function isPlainObject(value: unknown): value is PlainObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Deep-merges `override` into `base`: maps merge key by key, lists and scalars
 * replace. Neither input is modified.
 */
export function deepMerge(base: PlainObject, override: PlainObject): PlainObject {
  const merged: PlainObject = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value)
      ? deepMerge(current, value)
      : value;
  }
  return merged;
}

/**
 * The effective params of a stage: its declared params, deep-merged with
 * `params.yaml[<base>]`, `params.yaml[<name>]`, then the pipeline-qualified
 * `params.yaml[<pipeline>/<base>]` and `params.yaml[<pipeline>/<name>]`.
 */
export function effectiveParams(
  declared: PlainObject,
  overrides: Readonly<Record<string, PlainObject>>,
  stage: { readonly name: string; readonly pipeline: string },
): PlainObject {
  // Most projects have no params.yaml: nothing to look up for each of their stages.
  if (isEmpty(overrides)) return declared;
  const base = baseStageName(stage.name);
  const keys = [base, stage.name, `${stage.pipeline}/${base}`, `${stage.pipeline}/${stage.name}`];
  let params = declared;
  for (const key of new Set(keys)) {
    const override = overrides[key];
    if (override !== undefined) params = deepMerge(params, override);
  }
  return params;
}

/** True when `record` has no key. */
function isEmpty(record: Readonly<Record<string, unknown>>): boolean {
  for (const _ in record) return false;
  return true;
}

/** Looks up a dotted path (`optimizer.lr`) in a params map. */
export function lookupParam(params: PlainObject, dotted: string): unknown {
  let value: unknown = params;
  for (const part of dotted.split(".")) {
    if (!isPlainObject(value)) return undefined;
    value = value[part];
  }
  return value;
}
