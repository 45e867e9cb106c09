/**
 * Small helpers shared by the pipeline tests: load a pipeline file from a
 * temporary project, catch the error it throws, and compare that error's
 * fields.
 *
 * @module
 */
import assert from "node:assert/strict";
import { loadPipelineFile, type Pipeline, type StageDef } from "../../src/pipeline/mod.ts";
import type { PlainObject } from "../../src/pipeline/mod.ts";
import { PipelineFileError } from "../../src/util/errors.ts";
import type { TempProject } from "../_helpers/project.ts";

/** Joins lines with `\n` (keeps `${…}` literal and line numbers obvious). */
export function lines(...text: string[]): string {
  return `${text.join("\n")}\n`;
}

/** Options for {@linkcode load} and {@linkcode loadError}. */
export interface LoadOptions {
  /** The project's `params.yaml` overrides. */
  paramsOverrides?: Record<string, PlainObject>;
}

/** Loads `rel` (default `pivot.yaml`) from the project. */
export function load(
  p: TempProject,
  rel = "pivot.yaml",
  options: LoadOptions = {},
): Promise<Pipeline> {
  return loadPipelineFile(p.path(rel), {
    projectRoot: p.root,
    ...(options.paramsOverrides === undefined ? {} : { paramsOverrides: options.paramsOverrides }),
  });
}

/** Loads `rel` and returns the {@linkcode PipelineFileError} it must throw. */
export async function loadError(
  p: TempProject,
  rel = "pivot.yaml",
  options: LoadOptions = {},
): Promise<PipelineFileError> {
  try {
    await load(p, rel, options);
  } catch (error) {
    if (error instanceof PipelineFileError) return error;
    throw error;
  }
  assert.fail(`expected loading ${rel} to fail`);
}

/** The fields of a {@linkcode PipelineFileError} a test checks. */
export interface ExpectedError {
  message: string;
  file: string;
  line: number | undefined;
  column: number | undefined;
  field: string | undefined;
  detail: string;
  hint?: string | undefined;
}

/** Asserts every field in `expected` (hint only when given). */
export function assertFileError(error: PipelineFileError, expected: ExpectedError): void {
  const actual: ExpectedError = {
    message: error.message,
    file: error.file,
    line: error.line,
    column: error.column,
    field: error.field,
    detail: error.detail,
  };
  if ("hint" in expected) actual.hint = error.hint;
  assert.deepEqual(actual, expected);
}

/** The stage called `name`, failing when there is none. */
export function stageNamed(pipeline: Pipeline, name: string): StageDef {
  const stage = pipeline.stages.find((s) => s.name === name);
  assert.ok(stage, `no stage '${name}' in ${pipeline.stages.map((s) => s.name).join(", ")}`);
  return stage;
}

/** The command of a `cmd` stage, failing for a `run` stage. */
export function commandOf(stage: StageDef): string {
  assert.equal(stage.action.kind, "cmd", `stage '${stage.name}' is not a cmd stage`);
  return stage.action.kind === "cmd" ? stage.action.command : "";
}
