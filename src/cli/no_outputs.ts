import { countOutputsInProject } from "../ops/count_outputs_in_project.ts";
import type { Project } from "../project/mod.ts";
import { plural } from "../util/format_bytes.ts";

/**
 * The line for a `metrics`/`plots` command that found no output of `kind`:
 * pointing at `--all` when other pipelines of the project declare some
 * (looked up only when the command did not already look everywhere).
 */
export async function noOutputs(
  project: Project,
  kind: "metric" | "plot",
  everywhere: boolean,
): Promise<string> {
  const elsewhere = everywhere ? 0 : await countOutputsInProject(project, kind);
  if (elsewhere > 0) {
    return `no ${kind} outputs in pipeline '${project.discovery.name}'; the project's other pipelines have ${
      plural(elsewhere, `${kind} output`)
    }: pass --all\n`;
  }
  return `no ${kind} outputs (declare one with 'kind: ${kind}')\n`;
}
