/**
 * Types for `pipeline.ts` authors. A pipeline module default-exports a plain
 * object and needs no runtime import of pivot:
 *
 * @example A pipeline module
 * ```ts
 * import type { PipelineDefinition } from "./mod.ts";
 *
 * const pipeline = {
 *   name: "ml",
 *   stages: {
 *     prepare: {
 *       deps: { raw: "data/raw.csv" },
 *       outs: "csv",
 *       params: { threshold: 0.3 },
 *       run: ({ deps, params }) =>
 *         deps.raw.filter((row: { score: string }) => Number(row.score) > params.threshold),
 *     },
 *   },
 * } satisfies PipelineDefinition;
 *
 * export default pipeline;
 * ```
 *
 * @module
 */

/** An output format. */
export type Format =
  | "csv"
  | "tsv"
  | "json"
  | "jsonl"
  | "yaml"
  | "txt"
  | "bin"
  | "dir"
  | "png"
  | "svg";

/** What an output is for. */
export type OutputKind = "data" | "metric" | "plot";

/** An output declared as an object. */
export interface OutputObject {
  /** Format the value is written in. */
  format: Format;
  /** `data` (default), `metric` (json/yaml/csv, not cached by default) or `plot`. @default {"data"} */
  kind?: OutputKind;
  /** Store the content in the cache. @default {true, false for metrics} */
  cache?: boolean;
  /** File extension, replacing the format's (not with `path`, which has its own). */
  ext?: string;
  /**
   * Where the output lives, relative to the pipeline file and inside the
   * pipeline root, for scripts that write a fixed path (`${…}` allowed).
   * @default {pivot places it under data/<pipeline>/}
   */
  path?: string;
  /** Plot: field on the x axis. */
  x?: string;
  /** Plot: field on the y axis. */
  y?: string;
  /** Plot: template name. */
  template?: string;
}

/** One output: a format, or an output object. */
export type OutputDeclaration = Format | OutputObject;

/** A stage's outputs: one (format or object), or a map of key → output. */
export type OutputsDeclaration = OutputDeclaration | Record<string, OutputDeclaration>;

/** What one matrix value may override. */
export interface MatrixOverride {
  /** Dependencies to replace, by name. */
  deps?: Record<string, string | string[]>;
  /** Outputs to replace, by key. */
  outs?: OutputsDeclaration;
  /** Parameters to deep-merge. */
  params?: Record<string, unknown>;
  /** Mutex groups, replacing the stage's. */
  mutex?: string[];
}

/**
 * What a TypeScript stage function receives. `Deps` and `Params` let a
 * function state the inputs and parameters it reads
 * (`StageContext<{ raw: string }>`, or just `{ deps: { raw: string } }`);
 * either way it is accepted as a stage's `run`.
 */
export interface StageContext<
  // deno-lint-ignore no-explicit-any
  Deps = Record<string, any>,
  // deno-lint-ignore no-explicit-any
  Params = Record<string, any>,
> {
  /**
   * Each dependency loaded by its format (csv/tsv → rows, json/yaml → value, jsonl → array, txt → string, bin → bytes, dir or plain file → path),
   * when the function first reads it (a function using only `paths` loads nothing).
   */
  deps: Deps;
  /**
   * Absolute paths: `deps` by name, named outputs by key in `outs`, and the
   * single unnamed output (`outs: csv`) as `out` (else `null`).
   */
  paths: {
    deps: Record<string, string | string[]>;
    outs: Record<string, string>;
    out: string | null;
  };
  /** Effective parameters (declared ← params.yaml). */
  params: Params;
  /** The stage's name. */
  stage: string;
  /** Writes a line to the stage's log. */
  log: (message: string) => void;
}

/**
 * A stage function: returns the output value (one output) or an object
 * keyed by output key. Its context's `deps` and `params` are untyped here, so
 * a function that declares narrower ones fits.
 */
// deno-lint-ignore no-explicit-any
export type StageFunction = (context: StageContext<any, any>) => unknown;

/** One stage: exactly one of `cmd` or `run`. */
export interface StageDefinition {
  /** A shell command; `${deps.x}`, `${outs.x}`, `${outs}`, `${params.x}`, `${stage}` are filled in. */
  cmd?: string;
  /** A function, or `<module>#<export>` relative to the pipeline file. */
  run?: StageFunction | string;
  /** Dependencies: name → identity (`train:model`), file path, or a list of them. */
  deps?: Record<string, string | string[]>;
  /** Outputs. */
  outs?: OutputsDeclaration;
  /** Parameters (merged with `params.yaml`). */
  params?: Record<string, unknown>;
  /** Matrix: dimension → values, or value → overrides. */
  matrix?: Record<string, (string | number | boolean)[] | Record<string, MatrixOverride | null>>;
  /** Mutex groups; `*` runs alone. */
  mutex?: string[];
  /** Description shown by `pivot list`. */
  desc?: string;
}

/** A pipeline module's default export. */
export interface PipelineDefinition {
  /** Pipeline name (or `name`, not both). @default {the directory's name} */
  pipeline?: string;
  /** Pipeline name (or `pipeline`, not both). @default {the directory's name} */
  name?: string;
  /** Pipeline root (state and data), this file's directory or an ancestor. @default {"."} */
  root?: string;
  /** YAML files of `${name}` variables. */
  vars?: string[];
  /** Stages by name. */
  stages: Record<string, StageDefinition>;
}
