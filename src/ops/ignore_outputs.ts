import * as path from "node:path";
import { type Project, stageOutputs } from "../project/mod.ts";
import { addGitignoreEntries } from "../util/gitignore.ts";
import { RealPathGuard } from "../util/real_path_guard.ts";

/**
 * Lists the cached outputs of `stages` in a `.gitignore` in each pipeline's
 * data directory (`<root>/data/<pipeline>/.gitignore`), as DVC does, so
 * `git add .` never commits content that belongs in the cache. Outputs that
 * are not cached (metrics) are meant for git and stay out of it. A file is
 * written only when an entry is missing.
 *
 * @throws {PivotError} when a data directory leads outside the project (nothing is written)
 */
export async function ignoreCachedOutputs(
  project: Project,
  stages: readonly string[],
): Promise<void> {
  const wanted = new Map<string, Set<string>>();
  for (const name of stages) {
    const stage = project.dag.stages.get(name)!;
    const { def } = stage;
    const dir = path.join(def.root, project.store.dataDir, def.pipeline);
    for (const out of stageOutputs(project.store, stage)) {
      if (!def.outs.find((spec) => spec.key === out.key)?.cache) continue;
      const rel = path.relative(dir, out.path).split(path.sep).join("/");
      const entries = wanted.get(dir) ?? new Set<string>();
      entries.add(`/${rel}${out.isDir ? "/" : ""}`);
      wanted.set(dir, entries);
    }
  }
  const guard = new RealPathGuard(project.root);
  for (const dir of wanted.keys()) {
    guard.assertParentInside(path.join(dir, ".gitignore"), "cannot write");
  }
  for (const [dir, entries] of wanted) {
    await addGitignoreEntries(
      dir,
      entries,
      "# Written by pivot: cached stage outputs (the cache holds them).\n",
    );
  }
}
