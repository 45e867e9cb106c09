import { identityProblem } from "../identity/mod.ts";
import { PivotError } from "../util/errors.ts";
import { openProject, type Project } from "./open_project.ts";
import { resolveTarget, type Target } from "./resolve_target.ts";

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
