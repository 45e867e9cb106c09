/**
 * The keys allowed at each level of a pipeline definition. The validator and
 * the JSON Schema are both built from these lists.
 *
 * @module
 */

/** Top-level keys of `pivot.yaml` and of a `pipeline.ts` default export. */
export const PIPELINE_KEYS = ["pipeline", "name", "root", "vars", "stages"] as const;

/** Keys of a stage. */
export const STAGE_KEYS = [
  "cmd",
  "run",
  "deps",
  "outs",
  "params",
  "matrix",
  "mutex",
  "desc",
] as const;

/** Keys of an output object. */
export const OUTPUT_KEYS = [
  "format",
  "kind",
  "cache",
  "ext",
  "path",
  "x",
  "y",
  "template",
] as const;

/** Keys a matrix value may override. */
export const MATRIX_OVERRIDE_KEYS = ["deps", "outs", "params", "mutex"] as const;
