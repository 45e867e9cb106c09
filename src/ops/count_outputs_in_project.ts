import type { OutputKind } from "../pipeline/mod.ts";
import { openProject, type Project } from "../project/mod.ts";
import { PivotError } from "../util/errors.ts";

/**
 * How many outputs of `kind` every pipeline of `project` declares together,
 * as `--all` would see them: asked when a command without `--all` found none,
 * to point at `--all`. A project whose pipelines cannot all be loaded counts
 * 0 (the command's own answer stands).
 */
export async function countOutputsInProject(
  project: Project,
  kind: Exclude<OutputKind, "data">,
): Promise<number> {
  let all: Project;
  try {
    all = await openProject({ cwd: project.cwd, all: true, pipelinesOptional: true });
  } catch (error) {
    if (error instanceof PivotError) return 0;
    throw error;
  }
  return all.discovery.stages.reduce(
    (sum, stage) => sum + stage.def.outs.filter((out) => out.kind === kind).length,
    0,
  );
}
