import * as path from "node:path";
import { type Project, stageOutputs } from "../project/mod.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import { readTextOrNullSync } from "../util/fs.ts";

/**
 * Lists the cached outputs of `stages` in a `.gitignore` in each pipeline's
 * data directory (`<root>/data/<pipeline>/.gitignore`), as DVC does, so
 * `git add .` never commits content that belongs in the cache. Outputs that
 * are not cached (metrics) are meant for git and stay out of it. A file is
 * written only when an entry is missing.
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
  for (const [dir, entries] of wanted) {
    const file = path.join(dir, ".gitignore");
    const text = readTextOrNullSync(file) ??
      "# Written by pivot: cached stage outputs (the cache holds them).\n";
    const present = new Set(text.split("\n").map((line) => line.trim()));
    const missing = [...entries].filter((entry) => !present.has(entry)).sort();
    if (missing.length === 0) continue;
    const separator = text === "" || text.endsWith("\n") ? "" : "\n";
    await atomicWrite(file, `${text}${separator}${missing.join("\n")}\n`);
  }
}
