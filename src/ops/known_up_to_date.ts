/**
 * Incremental runs after a change: when the command's no-op stamp shows that
 * only a few data paths changed since the last run that left everything up
 * to date, the stages that read none of them, and are downstream of none
 * that do, are still up to date by the stamp's evidence and need not be
 * assessed again (as ninja and Bazel re-check only what a change feeds).
 *
 * @module
 */
import * as path from "node:path";
import type { Session } from "../session/mod.ts";
import { LOCK_SUFFIX, lockFilePath, PVT_SUFFIX, type StateDb } from "../storage/mod.ts";
import { touchedStages } from "./confirm_up_to_date.ts";
import { fileSignatureText } from "../storage/file_signature.ts";
import { changedStampPaths, type NoopStamp, parseNoopStamp, type StampLook } from "./noop_stamp.ts";
import { trackingFileCandidates } from "./tracked_inputs.ts";

/** What the stamp vouches for. */
export interface KnownUpToDate {
  /** The stages left up to date by the stamp's evidence. */
  readonly stages: ReadonlySet<string>;
  /** The stamp (its evidence carries over to the stamp this run leaves). */
  readonly stamp: NoopStamp;
  /** The paths of the stamp found changed when the command started. */
  readonly changed: ReadonlySet<string>;
}

/**
 * The stages of `stages` the no-op stamp under `key` still vouches for:
 * every path it recorded that changed is read by a stage (its lock, a
 * `.pvt` file that could track an input, an input or output, or something
 * inside one), and the stages are neither those readers nor downstream of
 * them. `null` (assess every stage) when there is no such stamp, it is from
 * another selection of stages, nothing changed, a stamped stage is running,
 * or a changed path is not one stage's own: the config, params or pipeline
 * files, the code a fingerprint reads, the cache. `look` is what the no-op
 * fast path found of the stamp (used instead of reading and checking it
 * again when its key is `key`).
 */
export function knownUpToDate(
  session: Session,
  db: StateDb,
  key: string,
  stages: readonly string[],
  look?: StampLook,
): KnownUpToDate | null {
  const found = look?.key === key ? look : lookAtStamp(session, db, key);
  if (found === null) return null;
  const { stamp, changed } = found;
  if (stamp.sources === undefined || !sameList(stamp.stages, stages)) return null;
  const sources = new Set(stamp.sources);
  if (changed.some((file) => sources.has(file))) return null;
  // What the fast path found was found before the project was loaded: what it was loaded
  // from must still be as stamped (a data path changed since is the next command's to see).
  if (found === look && !unchanged(session, stamp, stamp.sources)) return null;
  const readers = new Set<string>();
  const attributed = new Set<string>();
  const selected = new Set(stages);
  const mayRead = mayReadChanged(session, changed, selected);
  for (const name of stages) {
    if (!mayRead(name)) continue;
    const read = readChanged(session, name, changed, selected);
    if (read.length === 0) continue;
    readers.add(name);
    read.forEach((file) => attributed.add(file));
  }
  if (attributed.size < changed.length) return null;
  const touched = touchedStages(session.project.dag, stages, readers);
  return {
    stages: new Set(stages.filter((name) => !touched.has(name))),
    stamp,
    changed: new Set(changed),
  };
}

/**
 * The files of `changed` that stage `name`'s verdict is read from, as the
 * stamp records them (see `stampEvidence`): its lock, its outputs and what is
 * inside them, its file inputs and the `.pvt` files that could track them.
 * The outputs of a producer among `selected` are left to the producer: it
 * reads them too, and the stage is downstream of it (this looks at each
 * stage's definition, not its plan: a fan-in's plan is a thousand inputs).
 */
function readChanged(
  session: Session,
  name: string,
  changed: readonly string[],
  selected: ReadonlySet<string>,
): string[] {
  const { root, dag, store } = session.project;
  const { def } = dag.stages.get(name)!;
  const trees = store.outputs(def).map((out) => out.path);
  const pvtCandidates = new Set<string>();
  const tracked = changed.some((file) => file.endsWith(PVT_SUFFIX));
  for (const entry of def.deps) {
    for (const ref of entry.refs) {
      if (ref.kind === "file") {
        trees.push(ref.path);
        if (tracked) {
          trackingFileCandidates(root, ref.path).forEach((pvt) => pvtCandidates.add(pvt));
        }
        continue;
      }
      const producer = dag.producerOf.get(ref);
      if (producer === undefined || selected.has(producer)) continue;
      for (const out of store.outputs(dag.stages.get(producer)!.def)) {
        if (ref.key === null || out.key === ref.key) trees.push(out.path);
      }
    }
  }
  const lockFile = lockFilePath(def);
  return changed.filter((file) =>
    file === lockFile || pvtCandidates.has(file) || trees.some((tree) => within(tree, file))
  );
}

/**
 * A quick look at whether stage `name` may read one of `changed` (see
 * {@linkcode readChanged}), never false when it does: from the paths the
 * changed files lie at or below (an output's path is found among them
 * through the project's index of outputs, a file input's by itself), a
 * lock file's name, and whether any is a `.pvt` file. Most stages of a run
 * after a change read none: they are told so without building their
 * outputs' and lock's paths.
 */
function mayReadChanged(
  session: Session,
  changed: readonly string[],
  selected: ReadonlySet<string>,
): (name: string) => boolean {
  const { dag, outputsByPath } = session.project;
  // Each changed file and every directory above it: a tree holds a changed file when it is one.
  const around = new Set<string>();
  for (const file of changed) {
    for (let at = file; !around.has(at); at = path.dirname(at)) around.add(at);
  }
  // The outputs holding a changed file, by producer: read by it, and by consumers outside it.
  const held = new Map<string, (string | null)[]>();
  for (const at of around) {
    const out = outputsByPath.get(at);
    if (out !== undefined) held.set(out.stage, [...held.get(out.stage) ?? [], out.key]);
  }
  const lockNames = new Set(
    changed.filter((file) => file.endsWith(LOCK_SUFFIX)).map((file) =>
      path.basename(file, LOCK_SUFFIX)
    ),
  );
  const tracked = changed.some((file) => file.endsWith(PVT_SUFFIX));
  return (name) => {
    const { def } = dag.stages.get(name)!;
    if (tracked || held.has(name) || lockNames.has(def.name)) return true;
    for (const entry of def.deps) {
      for (const ref of entry.refs) {
        if (ref.kind === "file") {
          if (around.has(ref.path)) return true;
          continue;
        }
        const producer = dag.producerOf.get(ref);
        if (producer === undefined || selected.has(producer)) continue;
        const keys = held.get(producer);
        if (keys?.some((key) => ref.key === null || key === ref.key)) return true;
      }
    }
    return false;
  };
}

/** The stamp under `key` and which of its paths changed; `null` when none changed or it tells nothing. */
function lookAtStamp(session: Session, db: StateDb, key: string): StampLook | null {
  const text = db.getNoopStamp(key);
  const stamp = text === null ? null : parseNoopStamp(text);
  if (stamp === null) return null;
  const changed = changedStampPaths(stamp, session.stats);
  return changed === null || changed.length === 0 ? null : { key, stamp, changed };
}

/** True when each of `files` still has the signature `stamp` recorded for it. */
function unchanged(session: Session, stamp: NoopStamp, files: readonly string[]): boolean {
  return files.every((file) => {
    const followed = stamp.followed[file];
    if (followed !== undefined) return fileSignatureText(session.stats, file, true) === followed;
    const unfollowed = stamp.unfollowed[file];
    return unfollowed !== undefined &&
      fileSignatureText(session.stats, file, false) === unfollowed;
  });
}

/** True when `file` is `tree` or below it (both absolute and normal, as plans and stamps hold them). */
function within(tree: string, file: string): boolean {
  return file === tree || file.startsWith(tree.endsWith(path.sep) ? tree : `${tree}${path.sep}`);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}
