import * as path from "node:path";
import { useAllHint } from "../discovery/use_all_hint.ts";
import { IDENTITY_GRAMMAR, identityProblem, parseIdentity } from "../identity/mod.ts";
import { closestMatch } from "../util/did_you_mean.ts";
import { PivotError, UsageError } from "../util/errors.ts";
import { statOrNull } from "../util/fs.ts";
import { isInside, relativePosix } from "../util/paths.ts";
import { openProject, outputCovering, type Project, stageOutputs } from "./open_project.ts";

/** A command-line target: a stage (or one of its outputs), or a tracked file. */
export type Target =
  | {
    readonly kind: "stage";
    /**
     * DAG names of the stages: one, or every variant of a matrix stage named
     * by its base name (those with the output `key`, when there is one).
     */
    readonly stages: readonly string[];
    /** Output key, or `null` for all of the stages' outputs. */
    readonly key: string | null;
  }
  | {
    readonly kind: "tracked";
    /** Absolute path of the data file or directory. */
    readonly path: string;
    /** Absolute path of its `.pvt` file. */
    readonly pvt: string;
  };

/** The DAG name of a stage given as its DAG name or as `<pipeline>/<stage>`. */
export function findStageName(project: Project, producer: string): string | undefined {
  if (project.dag.stages.has(producer)) return producer;
  for (const [name, stage] of project.dag.stages) {
    if (`${stage.def.pipeline}/${stage.def.name}` === producer) return name;
  }
  return undefined;
}

/**
 * The DAG names of the stages `producer` names: the stage itself (by its DAG
 * name or as `<pipeline>/<stage>`), else every variant of the matrix stage
 * whose base name it is (`train` → `train@small`, `train@large`), else none.
 */
function findStageNames(project: Project, producer: string): string[] {
  const exact = findStageName(project, producer);
  if (exact !== undefined) return [exact];
  const variants: string[] = [];
  for (const [name, { def }] of project.dag.stages) {
    if (def.variant === null) continue;
    if (
      name === `${producer}@${def.variant}` || `${def.pipeline}/${def.baseName}` === producer
    ) variants.push(name);
  }
  return variants;
}

/**
 * Resolves what a user typed: a stage name, optionally with `:key` (also
 * `<pipeline>/<stage>`, and a matrix stage's base name for all its
 * variants), else a `.pvt`-tracked path (the data path or the `.pvt` path).
 *
 * @throws {UsageError} for anything else (exit 2: the command line names
 *   nothing it can take); a stage output's path is answered with its
 *   identity, and a malformed identity with the identity grammar
 * @throws {PivotError} for a `.pvt` path that is a directory
 */
export async function resolveTarget(project: Project, text: string): Promise<Target> {
  if (identityProblem(text) === null) {
    const identity = parseIdentity(text);
    const stages = findStageNames(project, identity.producer);
    if (stages.length > 0) {
      return {
        kind: "stage",
        stages: identity.key === null
          ? stages
          : withOutput(project, text, stages, { producer: identity.producer, key: identity.key }),
        key: identity.key,
      };
    }
  }
  const absolute = path.resolve(project.cwd, text).replace(/\/+$/, "");
  const pvt = absolute.endsWith(".pvt") ? absolute : `${absolute}.pvt`;
  if (!isInside(project.root, absolute) || absolute === project.root) {
    throw new UsageError(`unknown target '${text}': it is outside the project`, {
      hint: `targets are stages, their outputs, or tracked paths below ${project.root}`,
    });
  }
  const pvtInfo = await statOrNull(pvt);
  if (pvtInfo?.isFile) return { kind: "tracked", path: pvt.slice(0, -".pvt".length), pvt };
  if (pvtInfo?.isDirectory) {
    throw new PivotError(`cannot read ${pvt}: it is a directory, not a tracking file`, {
      hint: `remove or rename the directory ${pvt}, then track the data again with 'pivot track'`,
    });
  }
  const output = outputCovering(project.outputsByPath, absolute.replace(/\/+$/, ""));
  if (output !== undefined) {
    const shown = path.relative(project.cwd, absolute) || text;
    throw new UsageError(
      `${shown} is ${
        output.path === absolute.replace(/\/+$/, "") ? "" : "inside "
      }the output ${output.identity}; use the identity`,
      { hint: `give '${output.identity}' as the target` },
    );
  }
  const problem = identityProblem(text);
  if (problem !== null && meantAsIdentity(text)) {
    throw new UsageError(`invalid target '${text}': ${problem}`, {
      hint:
        `a target is an identity, ${IDENTITY_GRAMMAR} (e.g. 'train', 'train:model'), or a tracked path`,
    });
  }
  // `trian:model` → `train:model`: the stage part is what was mistyped (the key kept when
  // that stage has it).
  const colon = text.indexOf(":");
  const stage = closestStage(project, colon < 0 ? text : text.slice(0, colon));
  const key = colon < 0 ? null : text.slice(colon + 1);
  const suggestion = stage !== undefined && key !== null && outputKeysOf(project, stage).has(key)
    ? `${stage}:${key}`
    : stage;
  const unloaded = await stageFileUnderAll(project, text);
  throw new UsageError(
    `unknown target '${text}': ${
      unloaded === null
        ? "not a stage or tracked file"
        : "not a stage of the pipelines loaded here, nor a tracked file"
    }${suggestion === undefined ? "" : ` (did you mean '${suggestion}'?)`}`,
    {
      hint: unloaded === null
        ? "'pivot list' shows the stages and their outputs"
        : `'${text}' names a stage of ${relativePosix(project.root, unloaded)}: ${
          useAllHint([relativePosix(project.cwd, unloaded)])
        }`,
    },
  );
}

/**
 * The pipeline file (absolute) of the stage that `text` names when `--all`
 * would load it and `project`, opened without `--all`, did not; `null`
 * otherwise (also when the project's pipelines cannot all be loaded). Loads
 * every pipeline of the project: for error paths only.
 */
export async function stageFileUnderAll(project: Project, text: string): Promise<string | null> {
  if (project.discovery.name === "all" || identityProblem(text) !== null) return null;
  let target: Target;
  let all: Project;
  try {
    all = await openProject({ cwd: project.cwd, all: true, env: project.env });
    target = await resolveTarget(all, text);
  } catch (error) {
    if (error instanceof PivotError) return null;
    throw error;
  }
  if (target.kind !== "stage") return null;
  return all.dag.stages.get(target.stages[0]!)!.def.file;
}

/**
 * The stage name closest to `text` (a matrix stage's base name counts too:
 * `train` for `train@small`, `train@large`), or `undefined` when none is close.
 */
export function closestStage(project: Project, text: string): string | undefined {
  const names = new Set(
    [...project.dag.stages.keys()].flatMap((name) =>
      name.includes("@") ? [name, name.slice(0, name.indexOf("@"))] : [name]
    ),
  );
  return closestMatch(text, names);
}

/** The output keys of stage `name`, or of every variant when it is a matrix stage's base name. */
function outputKeysOf(project: Project, name: string): Set<string> {
  const keys = new Set<string>();
  for (const stage of project.dag.stages.values()) {
    if (stage.name !== name && !stage.name.startsWith(`${name}@`)) continue;
    for (const out of stageOutputs(project.store, stage)) if (out.key !== null) keys.add(out.key);
  }
  return keys;
}

/**
 * True for text that is no identity yet reads as one rather than as a path:
 * it has a `:` or `@`, or neither `/` nor `.` (`train:`, `a b`, `x:y:z`).
 */
function meantAsIdentity(text: string): boolean {
  return /[:@]/.test(text) || !/[/.]/.test(text);
}

/**
 * The stages among `stages` that have the output `key`.
 *
 * @throws {UsageError} when none has it, listing the keys there are
 */
function withOutput(
  project: Project,
  text: string,
  stages: readonly string[],
  { producer, key }: { readonly producer: string; readonly key: string },
): string[] {
  const defs = stages.map((name) => project.dag.stages.get(name)!.def);
  const having = stages.filter((_, i) => defs[i]!.outs.some((out) => out.key === key));
  if (having.length > 0) return having;
  // One stage, or the base name of a matrix stage's variants.
  const shown = stages.length === 1 ? stages[0]! : producer;
  const keys = [...new Set(defs.flatMap((def) => def.outs.flatMap((out) => out.key ?? [])))];
  const suggestion = closestMatch(key, keys);
  throw new UsageError(
    `unknown target '${text}': stage '${shown}' has no output '${key}'${
      suggestion === undefined ? "" : ` (did you mean '${shown}:${suggestion}'?)`
    }`,
    {
      hint: keys.length > 0
        ? `outputs of '${shown}': ${keys.join(", ")}`
        : `'${shown}' has ${
          defs.every((def) => def.outs.length === 0)
            ? "no outputs"
            : "a single output; use '" + shown + "'"
        }`,
    },
  );
}
