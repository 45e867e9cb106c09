import * as path from "node:path";
import { type Project, type ProjectOutput, stageOutputs } from "../project/open_project.ts";
import { addGitignoreEntriesSync } from "../util/gitignore.ts";
import { joinNormal, relativePosix, splitPath } from "../util/paths.ts";
import { RealPathGuard } from "../util/real_path_guard.ts";

/**
 * The `.gitignore` entries the cached outputs of `stages` need, by directory:
 * outputs pivot places are listed in their pipeline's data directory
 * (`<root>/data/<pipeline>/.gitignore`), an output declared at a path
 * (`path:`) in the `.gitignore` of its own directory, as DVC does. Outputs
 * that are not cached (metrics) are meant for git and stay out of it.
 */
export function cachedOutputIgnores(
  project: Project,
  stages: readonly string[],
): Map<string, Set<string>> {
  const wanted = new Map<string, Set<string>>();
  for (const { dir, out } of cachedOutputs(project, stages)) {
    const rel = relativePosix(dir, out.path);
    const entries = wanted.get(dir) ?? new Set<string>();
    entries.add(`/${rel}${out.isDir ? "/" : ""}`);
    wanted.set(dir, entries);
  }
  return wanted;
}

/**
 * The directories whose `.gitignore` lists cached outputs of `stages` (the
 * keys of {@linkcode cachedOutputIgnores}, without working out the entries).
 */
export function cachedOutputIgnoreDirs(project: Project, stages: readonly string[]): Set<string> {
  const dirs = new Set<string>();
  for (const { dir } of cachedOutputs(project, stages)) dirs.add(dir);
  return dirs;
}

/** Each cached output of `stages`, with the directory whose `.gitignore` lists it. */
function* cachedOutputs(
  project: Project,
  stages: readonly string[],
): Generator<{ dir: string; out: ProjectOutput }> {
  // Worked out once per pipeline: a run of 10,000 stages has a handful.
  const dataDirs = new Map<string, string>();
  for (const name of stages) {
    const stage = project.dag.stages.get(name)!;
    const { def } = stage;
    const key = `${def.root}\0${def.pipeline}`;
    let dataDir = dataDirs.get(key);
    if (dataDir === undefined) {
      dataDir = joinNormal(def.root, project.store.dataDir, def.pipeline);
      dataDirs.set(key, dataDir);
    }
    for (const out of stageOutputs(project.store, stage)) {
      const spec = def.outs.find((o) => o.key === out.key);
      if (!spec?.cache) continue;
      yield { dir: spec.path === undefined ? dataDir : splitPath(out.path).dir, out };
    }
  }
}

/**
 * Lists the cached outputs of `stages` in `.gitignore` files (see
 * {@linkcode cachedOutputIgnores}), so `git add .` never commits content that
 * belongs in the cache. A file is written only when an entry is missing.
 *
 * @throws {PivotError} when a directory leads outside the project (nothing is written)
 */
export function ignoreCachedOutputs(project: Project, stages: readonly string[]): void {
  const wanted = cachedOutputIgnores(project, stages);
  const guard = new RealPathGuard(project.root);
  for (const dir of wanted.keys()) {
    guard.assertParentInside(path.join(dir, ".gitignore"), "cannot write");
  }
  for (const [dir, entries] of wanted) {
    addGitignoreEntriesSync(
      dir,
      entries,
      "# Written by pivot: cached stage outputs (the cache holds them).\n",
    );
  }
}
