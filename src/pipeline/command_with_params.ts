import { interpolateCommand } from "./interpolate.ts";
import { lookupParam, type PlainObject } from "./params.ts";

/**
 * Fills a cmd stage's `paramTemplate` with `params`: each `${name}` that is a
 * scalar parameter of that dotted name becomes its value, quoted as the
 * pipeline's own `${…}` substitution quotes it; any other reference stays.
 * With the stage's current parameters this gives its command; with those a
 * lock recorded, the command that run had if only parameters changed.
 *
 * @example Usage
 * ```ts
 * import { commandWithParams } from "./command_with_params.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   commandWithParams("train --lr ${train.lr} ${outs}", { train: { lr: 0.1 } }),
 *   "train --lr 0.1 ${outs}",
 * );
 * ```
 */
export function commandWithParams(template: string, params: PlainObject): string {
  const scalar = (name: string): string | undefined => {
    const value = lookupParam(params, name);
    return ["string", "number", "boolean"].includes(typeof value) ? String(value) : undefined;
  };
  return interpolateCommand(template, scalar, { keep: (name) => scalar(name) === undefined }).text;
}
