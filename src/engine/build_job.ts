import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { interpolateCommand } from "../pipeline/interpolate.ts";
import { lookupParam } from "../pipeline/params.ts";
import { PivotError } from "../util/errors.ts";
import { relativePosix } from "../util/paths.ts";
import { CLAIM_VARIABLE, claimMarker } from "./running_sentinel.ts";
import type { StageJob } from "./stage_job.ts";
import type { StagePlan } from "./stage_plan.ts";

/** The longest `PIVOT_DEP_*` value set (Linux refuses strings over 128 KiB). */
const MAX_ENV_VALUE = 64 * 1024;

/** `PIVOT_DEP_RAW_DATA` for dependency `raw-data`. */
function envName(prefix: string, key: string): string {
  return `${prefix}_${key.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/**
 * The job a worker runs for `plan`: a `cmd` stage's command with `${deps.x}`,
 * `${outs.x}`, `${outs}`, `${params.a.b}` and `${stage}` filled in (paths
 * relative to the pipeline file's directory, each value shell-quoted) and its
 * `PIVOT_*` environment, `PIVOT_CLAIM` included (this process's claim of the
 * stage's sentinel: see `running_sentinel.ts`; build the job while holding
 * it), `PIVOT_PARAMS` naming `paramsFile`; or a `run` stage's module,
 * function and I/O (`paramsFile` unused: the function gets its params in
 * its context). `moduleUrls` keeps the file URLs of modules made so far
 * (the stages of a run mostly share a few modules).
 *
 * @throws {PivotError} for a `${…}` the stage cannot fill
 */
export function buildJob(
  plan: StagePlan,
  paramsFile: string,
  moduleUrls?: Map<string, string>,
): StageJob {
  const { def } = plan.stage;
  if (def.action.kind === "run") {
    const { module } = def.action;
    let moduleUrl = moduleUrls?.get(module);
    if (moduleUrl === undefined) {
      moduleUrl = pathToFileURL(module).href;
      moduleUrls?.set(module, moduleUrl);
    }
    return {
      kind: "run",
      stage: plan.name,
      moduleUrl,
      exportPath: def.action.exportPath,
      deps: plan.deps.map((dep) => ({
        name: dep.name,
        list: dep.list,
        items: dep.inputs.map((input) => ({ path: input.path, format: input.format })),
      })),
      outs: plan.outs.map((out) => ({ key: out.key, path: out.path, format: out.format })),
      params: def.params,
      stageName: def.name,
    };
  }
  const local = (abs: string) => relativePosix(def.dir, abs);
  const resolve = (name: string): string | string[] | undefined => {
    if (name === "stage") return def.name;
    if (name === "outs") return plan.outs.length === 1 ? local(plan.outs[0]!.path) : undefined;
    if (name.startsWith("deps.")) {
      const dep = plan.deps.find((d) => d.name === name.slice(5));
      if (dep === undefined) return undefined;
      const paths = dep.inputs.map((input) => local(input.path));
      return dep.list || paths.length !== 1 ? paths : paths[0];
    }
    if (name.startsWith("outs.")) {
      const out = plan.outs.find((o) => o.key === name.slice(5));
      return out === undefined ? undefined : local(out.path);
    }
    if (name.startsWith("params.")) {
      const value = lookupParam(def.params, name.slice(7));
      if (value === undefined) return undefined;
      return typeof value === "string" ? value : JSON.stringify(value);
    }
    return undefined;
  };
  const { text, unresolved } = interpolateCommand(def.action.command, resolve);
  if (unresolved.length > 0) {
    throw new PivotError(
      `stage '${plan.name}': cannot fill ${
        unresolved.map((n) => `\${${n}}`).join(", ")
      } in its command`,
    );
  }
  const env: Record<string, string> = {
    PIVOT_STAGE: def.name,
    PIVOT_PARAMS: paramsFile,
    [CLAIM_VARIABLE]: claimMarker(plan.sentinel),
  };
  for (const dep of plan.deps) {
    const value = dep.inputs.map((input) => input.path).join(path.delimiter);
    // One environment string may not exceed 128 KiB (exec fails): a list of
    // thousands of inputs is left out rather than making the stage unrunnable.
    if (value.length <= MAX_ENV_VALUE) env[envName("PIVOT_DEP", dep.name)] = value;
  }
  for (const out of plan.outs) {
    env[out.key === null ? "PIVOT_OUT" : envName("PIVOT_OUT", out.key)] = out.path;
  }
  return { kind: "cmd", stage: plan.name, command: text, cwd: def.dir, env };
}
