import * as path from "node:path";
import type { NamedStage } from "../pipeline/mod.ts";
import type { Project } from "../project/mod.ts";
import { flattenValues } from "../report/mod.ts";
import type { ProjectVersion } from "./_versions.ts";

/**
 * Each stage's effective params in `version`, flattened (`a.b.c` keys), by
 * stage name: the workspace's come from the pipeline files and
 * `params.yaml`, a revision's from the locks committed there (`null` for a
 * stage without one). With `removed`, a revision's locks of stages the
 * pipelines no longer have are added too (named `<pipeline>/<stage>` outside
 * the main pipeline).
 */
export async function readParams(
  project: Project,
  version: ProjectVersion,
  stages: readonly NamedStage[],
  removed: boolean,
): Promise<Map<string, Record<string, unknown> | null>> {
  const { revision } = version;
  const params = new Map<string, Record<string, unknown> | null>();
  if (revision === null) {
    for (const stage of stages) params.set(stage.name, flattenValues(stage.def.params));
    return params;
  }
  const locks = await revision.locksFor(stages.map((stage) => stage.def));
  for (const stage of stages) {
    const lock = locks.get(stage.def);
    params.set(stage.name, lock === null || lock === undefined ? null : flattenValues(lock.params));
  }
  if (!removed) return params;
  const known = new Set(stages.map(({ def }) => `${def.pipeline}/${def.name}`));
  const homes = new Set(
    stages.map(({ def }) => revision.relative(path.join(def.stateDir, "stages", def.pipeline))),
  );
  const gone = revision.lockFiles().filter((rel) => homes.has(path.posix.dirname(rel)));
  for (const lock of (await revision.readLocks(gone)).values()) {
    if (known.has(`${lock.pipeline}/${lock.stage}`)) continue;
    const name = lock.pipeline === project.discovery.name
      ? lock.stage
      : `${lock.pipeline}/${lock.stage}`;
    params.set(name, flattenValues(lock.params));
  }
  return params;
}
