import * as path from "node:path";
import { identityProblem, parseIdentity } from "../identity/mod.ts";
import { closestMatch } from "../util/did_you_mean.ts";
import { PivotError } from "../util/errors.ts";
import { statOrNull } from "../util/fs.ts";
import { isInside } from "../util/paths.ts";
import { outputCovering, type Project } from "./open_project.ts";

/** A command-line target: a stage (or one of its outputs), or a tracked file. */
export type Target =
  | {
    readonly kind: "stage";
    /** DAG name of the stage. */
    readonly stage: string;
    /** Output key, or `null` for all of the stage's outputs. */
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
 * Resolves what a user typed: a stage name, optionally with `:key` (also
 * `<pipeline>/<stage>`), else a `.pvt`-tracked path (the data path or the
 * `.pvt` path).
 *
 * @throws {PivotError} for anything else; a stage output's path is answered with its identity
 */
export async function resolveTarget(project: Project, text: string): Promise<Target> {
  if (identityProblem(text) === null) {
    const identity = parseIdentity(text);
    const stage = findStageName(project, identity.producer);
    if (stage !== undefined) {
      const def = project.dag.stages.get(stage)!.def;
      const keys = def.outs.flatMap((out) => (out.key === null ? [] : [out.key]));
      if (identity.key !== null && !keys.includes(identity.key)) {
        const suggestion = closestMatch(identity.key, keys);
        throw new PivotError(
          `unknown target '${text}': stage '${stage}' has no output '${identity.key}'${
            suggestion === undefined ? "" : ` (did you mean '${stage}:${suggestion}'?)`
          }`,
          {
            hint: keys.length > 0
              ? `outputs of '${stage}': ${keys.join(", ")}`
              : `'${stage}' has ${
                def.outs.length === 0 ? "no outputs" : "a single output; use '" + stage + "'"
              }`,
          },
        );
      }
      return { kind: "stage", stage, key: identity.key };
    }
  }
  const absolute = path.resolve(project.cwd, text).replace(/\/+$/, "");
  const pvt = absolute.endsWith(".pvt") ? absolute : `${absolute}.pvt`;
  if (!isInside(project.root, absolute) || absolute === project.root) {
    throw new PivotError(`unknown target '${text}': it is outside the project`, {
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
    throw new PivotError(
      `${shown} is ${
        output.path === absolute.replace(/\/+$/, "") ? "" : "inside "
      }the output ${output.identity}; use the identity`,
      { hint: `give '${output.identity}' as the target` },
    );
  }
  const variants = [...project.dag.stages.keys()].filter((name) => name.startsWith(`${text}@`));
  if (variants.length > 0) {
    throw new PivotError(
      `unknown target '${text}': it is a matrix stage; name one of its variants`,
      {
        hint: `variants: ${variants.join(", ")}`,
      },
    );
  }
  const suggestion = closestMatch(text, project.dag.stages.keys());
  throw new PivotError(
    `unknown target '${text}': not a stage or tracked file${
      suggestion === undefined ? "" : ` (did you mean '${suggestion}'?)`
    }`,
    { hint: "'pivot list' shows the stages and their outputs" },
  );
}
