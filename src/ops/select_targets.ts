import { selectStages } from "../dag/mod.ts";
import type { Project } from "../project/open_project.ts";
import { resolveTarget } from "../project/resolve_target.ts";
import { UsageError } from "../util/errors.ts";

/**
 * The DAG names of the stages `targets` name (identities with a key select
 * their stage, a matrix stage's base name all its variants), in DAG order,
 * with their upstream stages when `upstream`. No targets means every stage.
 *
 * @throws {UsageError} for a target that is not a stage or names a tracked file
 */
export async function selectTargets(
  project: Project,
  targets: readonly string[],
  upstream: boolean,
): Promise<string[]> {
  const names: string[] = [];
  for (const text of targets) {
    const target = await resolveTarget(project, text);
    if (target.kind !== "stage") {
      throw new UsageError(
        `'${text}' is a tracked path, not a stage: this command takes stages and their outputs`,
        {
          hint:
            "name stages or their outputs (train, train:model); tracked paths are targets of checkout, push, fetch and pull, and status and verify without targets check every tracked path",
        },
      );
    }
    names.push(...target.stages);
  }
  return selectStages(project.dag, names, { upstream });
}
