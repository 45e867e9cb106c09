/**
 * Tracked inputs: file dependencies that are tracked paths (`data/raw.csv`
 * beside `data/raw.csv.pvt`) or lie inside a tracked directory.
 *
 * @module
 */
import * as path from "node:path";
import type { DepEntry } from "../pipeline/types.ts";
import type { Project } from "../project/open_project.ts";
import { pvtPathFor } from "../storage/mod.ts";
import { statOrNullSync } from "../util/fs.ts";
import { isInside } from "../util/paths.ts";
import { openPreciseStat, plainlyAbsent, type PreciseStat } from "../util/precise_stat.ts";

/**
 * The `.pvt` files that would track the file dependency `input`: its own,
 * then those of the directories around it, up to (not including) `root`.
 */
export function trackingFileCandidates(root: string, input: string): string[] {
  const candidates = [pvtPathFor(input)];
  let dir = path.dirname(input);
  while (dir !== root && isInside(root, dir)) {
    candidates.push(pvtPathFor(dir));
    dir = path.dirname(dir);
  }
  return candidates;
}

/**
 * The `.pvt` files (absolute) tracking what `stages` read, each with the
 * stages that read it, in stage order. Each candidate is looked at with
 * `stats` (the session's, or what a closing look keeps for its stamp, see
 * `util/remembered_stat.ts`), its own status first: most have no entry at
 * all, which answers for the stamp as well. @default {a `stat` of its own}
 */
export function trackedInputsOf(
  project: Project,
  stages: readonly string[],
  stats?: PreciseStat,
): Map<string, string[]> {
  const found = new Map<string, string[]>();
  // Most candidates do not exist: `statx` says so without an exception (see precise_stat.ts).
  using opened = stats === undefined ? openPreciseStat() : null;
  const look: TrackingLook = {
    root: project.root,
    stats: stats ?? opened!,
    isDirPvt: new Map(),
    dirs: new Map(),
  };
  // One call per stage: a loop over a thousand stages that did each stage's work in its own body
  // was compiled on the side while it ran (V8's on-stack replacement: ~20 ms of optimising
  // compile, twice in a fresh run, for a loop whose time is its `statx` calls); a small function
  // called a thousand times is compiled cheaply, if at all.
  for (const name of stages) {
    const def = project.dag.stages.get(name)?.def;
    if (def !== undefined) addTrackedInputs(look, name, def.deps, found);
  }
  return found;
}

/** What {@linkcode trackedInputsOf} looks with, shared by the stages of one call. */
interface TrackingLook {
  readonly root: string;
  readonly stats: PreciseStat;
  /**
   * The `.pvt` files of the directories around the inputs, looked at once each (a thousand
   * inputs of one directory share them); an input's own `.pvt` is looked at as it is read (one
   * look each at the `.pvt` files of 10,000 inputs, not a map of them all).
   */
  readonly isDirPvt: Map<string, boolean>;
  /**
   * What the directories above the candidates are: one look at each (a thousand inputs of
   * one directory have a thousand candidates there).
   */
  readonly dirs: Map<string, boolean>;
}

/** Adds to `found` the `.pvt` files tracking the file dependencies `deps` of stage `name`. */
function addTrackedInputs(
  look: TrackingLook,
  name: string,
  deps: readonly DepEntry[],
  found: Map<string, string[]>,
): void {
  for (const entry of deps) {
    for (const ref of entry.refs) {
      if (ref.kind !== "file") continue;
      const pvt = trackingFileCandidates(look.root, ref.path).find((candidate, i) => {
        if (i === 0) return isTrackingFile(look, candidate);
        let known = look.isDirPvt.get(candidate);
        if (known === undefined) {
          known = isTrackingFile(look, candidate);
          look.isDirPvt.set(candidate, known);
        }
        return known;
      });
      if (pvt === undefined) continue;
      const readers = found.get(pvt) ?? [];
      if (!readers.includes(name)) readers.push(name);
      found.set(pvt, readers);
    }
  }
}

/**
 * True when `candidate` is a `.pvt` file. No entry at all (not even a dangling symlink) is the
 * usual answer, from the candidate's own status.
 */
function isTrackingFile(look: TrackingLook, candidate: string): boolean {
  return !plainlyAbsent(look.stats, candidate, false, look.dirs) &&
    !plainlyAbsent(look.stats, candidate, true, look.dirs) &&
    (statOrNullSync(candidate)?.isFile ?? false);
}
