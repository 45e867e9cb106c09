import * as path from "node:path";
import type { NamedStage } from "../pipeline/mod.ts";
import { flattenValues } from "../report/mod.ts";
import type { ProjectVersion } from "./_versions.ts";

/** Options for {@linkcode readParams}. */
export interface ReadParamsOptions {
  /** The stages to read. */
  stages: readonly NamedStage[];
  /** Also a revision's locks of stages the pipelines no longer have. @default {false} */
  removed?: boolean;
}

/**
 * Each stage's effective params in `version`, flattened (`a.b.c` keys), by
 * stage name: the workspace's come from the pipeline files and
 * `params.yaml`, a revision's from the locks committed there (`null` for a
 * stage without one). With `removed`, a revision's locks of stages the
 * pipelines no longer have are added too (named `<pipeline>/<stage>` outside
 * the main pipeline).
 */
export async function readParams(
  version: ProjectVersion,
  options: ReadParamsOptions,
): Promise<Map<string, Record<string, unknown> | null>> {
  const { stages, removed = false } = options;
  const { revision, project } = version;
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
