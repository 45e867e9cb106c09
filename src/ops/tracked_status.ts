import * as path from "node:path";
import { type Project, scanProjectFiles } from "../project/mod.ts";
import { dataPathFor, FileHasher, readPvtFile, StateDbs } from "../storage/mod.ts";
import { PivotError } from "../util/errors.ts";
import { statOrNull } from "../util/fs.ts";
import { relativePosix } from "../util/paths.ts";

/** A tracked path compared with its `.pvt`. */
export interface TrackedState {
  /** Project-relative path. */
  readonly path: string;
  readonly status: "unchanged" | "modified" | "missing" | "unreadable";
}

/** Compares every tracked path of the project with its `.pvt` (through the hash cache). */
export async function trackedStatus(
  project: Project,
  warn: (message: string) => void,
): Promise<TrackedState[]> {
  const dbs = new StateDbs(warn);
  try {
    const hasher = new FileHasher(await dbs.get(path.join(project.root, ".pivot")));
    const states: TrackedState[] = [];
    for (const pvt of scanProjectFiles(project.root).pvtFiles) {
      const data = dataPathFor(pvt);
      const rel = relativePosix(project.root, data);
      let record;
      try {
        record = await readPvtFile(pvt, relativePosix(project.root, pvt));
      } catch (error) {
        if (!(error instanceof PivotError)) throw error;
        warn(error.message);
        states.push({ path: rel, status: "unreadable" });
        continue;
      }
      if (record === null) continue;
      if ((await statOrNull(data)) === null) {
        states.push({ path: rel, status: "missing" });
        continue;
      }
      const current = await hasher.hashPath(data);
      states.push({
        path: rel,
        status: current.hash === record.info.hash ? "unchanged" : "modified",
      });
    }
    hasher.flush();
    return states;
  } finally {
    await dbs.close();
  }
}
