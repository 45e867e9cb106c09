import { FORMATS } from "../formats/format_names.ts";
import { IDENTITY_GRAMMAR, KEY_PATTERN, NAME_PATTERN } from "../identity/mod.ts";
import { MATRIX_OVERRIDE_KEYS, OUTPUT_KEYS, PIPELINE_KEYS, STAGE_KEYS } from "./keys.ts";
import { OUTPUT_KINDS } from "./types.ts";

type Schema = Record<string, unknown>;

function strictObject(properties: Schema, keys: readonly string[]): Schema {
  const missing = keys.filter((key) => !(key in properties));
  if (missing.length > 0) throw new Error(`schema lacks properties: ${missing.join(", ")}`);
  return { type: "object", properties, additionalProperties: false };
}

/**
 * The JSON Schema (draft 2020-12) of `pivot.yaml`, for editor validation.
 * Built from the same key lists the validator uses, so the two agree on shape.
 */
export function pipelineJsonSchema(): Schema {
  const nonBlank = { type: "string", pattern: "\\S" };
  const format = { enum: [...FORMATS], description: "output format" };
  const outputObject = strictObject({
    format,
    kind: { enum: [...OUTPUT_KINDS], default: "data" },
    cache: { type: "boolean", description: "store in the content cache (metrics: false)" },
    ext: { type: "string", pattern: "^\\.?[A-Za-z0-9_-][A-Za-z0-9_.-]*$" },
    path: {
      ...nonBlank,
      description:
        "where the output lives, relative to this file, inside the pipeline root (default: pivot places it)",
    },
    x: { type: "string", description: "plot x field" },
    y: { type: "string", description: "plot y field" },
    template: { type: "string", description: "plot template" },
  }, OUTPUT_KEYS);
  // A declared path carries its own extension.
  outputObject["not"] = { required: ["ext", "path"] };
  const output = {
    oneOf: [{ ...format }, { ...outputObject, required: ["format"] }],
  };
  // `outs:`, `deps:`, `params:` and `mutex:` left empty (null) mean "none", as in the validator.
  const outs = {
    description: "one format, one output object, or a map of output key → output",
    oneOf: [
      { type: "null" },
      { ...format },
      {
        ...outputObject,
        required: ["format"],
        properties: { ...outputObject.properties as Schema, format: { ...format, type: "string" } },
      },
      {
        type: "object",
        not: { required: ["format"], properties: { format: { type: "string" } } },
        propertyNames: { pattern: KEY_PATTERN.source },
        additionalProperties: output,
      },
    ],
  };
  const depValue = {
    oneOf: [
      { ...nonBlank },
      { type: "array", minItems: 1, items: nonBlank },
    ],
    description: `an identity (${IDENTITY_GRAMMAR}), a file path, or a list of them`,
  };
  const deps = {
    type: ["object", "null"],
    propertyNames: { pattern: KEY_PATTERN.source },
    additionalProperties: depValue,
  };
  const params = {
    type: ["object", "null"],
    description: "parameters (merged with params.yaml)",
  };
  const mutex = { type: ["array", "null"], items: nonBlank };
  const override = strictObject({ deps, outs, params, mutex }, MATRIX_OVERRIDE_KEYS);
  const scalar = { type: ["string", "number", "boolean"] };
  const matrix = {
    type: "object",
    minProperties: 1,
    propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_]*$" },
    additionalProperties: {
      oneOf: [
        { type: "array", minItems: 1, items: scalar },
        {
          type: "object",
          minProperties: 1,
          additionalProperties: { oneOf: [{ type: "null" }, override] },
        },
      ],
    },
  };
  const stage = {
    ...strictObject({
      cmd: { ...nonBlank, description: "shell command" },
      run: {
        type: "string",
        pattern: "^.+#[A-Za-z_$][A-Za-z0-9_$]*$",
        description: "<module>#<export>",
      },
      deps,
      outs,
      params,
      matrix,
      mutex,
      desc: { type: "string" },
    }, STAGE_KEYS),
    oneOf: [{ required: ["cmd"], not: { required: ["run"] } }, {
      required: ["run"],
      not: { required: ["cmd"] },
    }],
  };
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://pivot.dev/schema/pivot.yaml.json",
    title: "pivot.yaml",
    ...strictObject({
      pipeline: { type: "string", pattern: NAME_PATTERN.source },
      name: { type: "string", pattern: NAME_PATTERN.source },
      root: nonBlank,
      vars: { type: "array", items: nonBlank },
      stages: {
        type: "object",
        // A plain stage name, or a matrix stage's `name@{dimension}` template.
        propertyNames: { pattern: `${NAME_PATTERN.source.slice(0, -1)}(@.+)?$` },
        additionalProperties: stage,
      },
    }, PIPELINE_KEYS),
    required: ["stages"],
    not: { required: ["pipeline", "name"] },
  };
}
