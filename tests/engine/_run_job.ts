/**
 * A `run` job for the worker-pool tests, built as the engine builds one.
 *
 * @module
 */
import { pathToFileURL } from "node:url";
import type { RunJob } from "../../src/engine/stage_job.ts";

/** A `run` job calling `exportPath` of `module` (stage `test`, no inputs or outputs) unless `fields` say otherwise. */
export function runJob(module: string, fields: Partial<RunJob> = {}): RunJob {
  return {
    kind: "run",
    stage: "test",
    moduleUrl: pathToFileURL(module).href,
    exportPath: ["run"],
    deps: [],
    outs: [],
    params: {},
    stageName: "test",
    ...fields,
  };
}
