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
import { planStage } from "../engine/mod.ts";
import type { Session } from "../session/mod.ts";
import type { StateDb } from "../storage/mod.ts";
import { touchedStages } from "./confirm_up_to_date.ts";
import { changedStampPaths, type NoopStamp, parseNoopStamp } from "./noop_stamp.ts";
import { trackingFileCandidates } from "./tracked_inputs.ts";

/** What the stamp vouches for. */
export interface KnownUpToDate {
  /** The stages left up to date by the stamp's evidence. */
  readonly stages: ReadonlySet<string>;
  /** The stamp (its evidence carries over to the stamp this run leaves). */
  readonly stamp: NoopStamp;
}

/**
 * The stages of `stages` the no-op stamp under `key` still vouches for:
 * every path it recorded that changed is read by a stage (its lock, a
 * `.pvt` file that could track an input, an input or output, or something
 * inside one), and the stages are neither those readers nor downstream of
 * them. `null` (assess every stage) when there is no such stamp, it is from
 * another selection of stages, nothing changed, a stamped stage is running,
 * or a changed path is not one stage's own: the config, params or pipeline
 * files, the code a fingerprint reads, the cache.
 */
export function knownUpToDate(
  session: Session,
  db: StateDb,
  key: string,
  stages: readonly string[],
): KnownUpToDate | null {
  const text = db.getNoopStamp(key);
  const stamp = text === null ? null : parseNoopStamp(text);
  if (stamp?.sources === undefined || !sameList(stamp.stages, stages)) return null;
  const changed = changedStampPaths(stamp, session.stats);
  if (changed === null || changed.length === 0) return null;
  const sources = new Set(stamp.sources);
  if (changed.some((file) => sources.has(file))) return null;
  const readers = new Set<string>();
  const attributed = new Set<string>();
  for (const name of stages) {
    const reads = stageReads(session, name);
    for (const file of changed) {
      if (!reads.files.has(file) && !reads.trees.some((tree) => within(tree, file))) continue;
      readers.add(name);
      attributed.add(file);
    }
  }
  if (attributed.size < changed.length) return null;
  const touched = touchedStages(session.project.dag, stages, readers);
  return { stages: new Set(stages.filter((name) => !touched.has(name))), stamp };
}

/** What stage `name`'s verdict is read from, as the stamp records it (see `stampEvidence`). */
function stageReads(
  session: Session,
  name: string,
): { readonly files: ReadonlySet<string>; readonly trees: readonly string[] } {
  const plan = planStage(session.project, name);
  const files = new Set([plan.lockFile]);
  const trees: string[] = plan.outs.map((out) => out.path);
  for (const dep of plan.deps) {
    for (const input of dep.inputs) {
      trees.push(input.path);
      if (input.identity !== null) continue;
      trackingFileCandidates(session.project.root, input.path).forEach((pvt) => files.add(pvt));
    }
  }
  return { files, trees };
}

/** True when `file` is `tree` or below it (both absolute and normal, as plans and stamps hold them). */
function within(tree: string, file: string): boolean {
  return file === tree || file.startsWith(tree.endsWith(path.sep) ? tree : `${tree}${path.sep}`);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}
