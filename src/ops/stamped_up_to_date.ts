/**
 * Stages a `repro` no-op stamp vouches for, for commands that report on
 * stages without running them (`pivot status` right after a run): while
 * every path the stamp recorded is unchanged, every stage it stamped is
 * still up to date (it found each one so, with the same assessment a report
 * makes), so it need not be planned and assessed again.
 *
 * @module
 */
import type { Session } from "../session/mod.ts";
import { checkStateDbFile, type StateDb } from "../storage/state_db.ts";
import type { EnvReader } from "../util/env_reader.ts";
import { changedStampPaths, type NoopStamp, noopStampKey, parseNoopStamp } from "./noop_stamp.ts";

/** The no-op stamp that vouches for stages, and the stages it vouches for. */
export interface StampedUpToDate {
  /** The stamp: its evidence and sources stand for the reads of `stages`. */
  readonly stamp: NoopStamp & { readonly sources: readonly string[] };
  /** The stamped stages: every one up to date. */
  readonly stages: ReadonlySet<string>;
}

/**
 * The no-op stamp of `pivot repro` (with `-a` when `all`) in the project of
 * `session`, when it vouches for every stage of `stages`: it stamped them
 * all and every path it recorded still has its signature, and no stamped
 * stage is running, and the `state.db` holding it shows no damage. `null`
 * when there is no such stamp (assess the stages).
 */
export async function stampedUpToDate(
  session: Session,
  stages: readonly string[],
  options: { readonly all: boolean; readonly env: EnvReader },
): Promise<StampedUpToDate | null> {
  if (stages.length === 0) return null;
  const stamp = soundReproStamp(await session.projectDb(), {
    all: options.all,
    cwd: session.project.cwd,
    env: options.env,
  });
  if (stamp === null || stamp.sources === undefined) return null;
  const stamped = new Set(stamp.stages);
  if (!stages.every((name) => stamped.has(name))) return null;
  let changed: string[] | null;
  try {
    changed = changedStampPaths(stamp, session.stats, Date.now(), 1);
  } catch {
    // A sentinel directory that cannot be listed: the stages are assessed, and say why.
    return null;
  }
  if (changed?.length !== 0) return null;
  return { stamp: { ...stamp, sources: stamp.sources }, stages: stamped };
}

/**
 * The no-op stamp `pivot repro` (with `-a` when `all`) run in `cwd` left in
 * `db`, when `db` shows no damage; `null` otherwise. Damage elsewhere in the
 * file is for a command that assesses the stages to find, warn about and
 * replace.
 */
export function soundReproStamp(
  db: StateDb,
  query: { readonly all: boolean; readonly cwd: string; readonly env: EnvReader },
): NoopStamp | null {
  const { all, cwd, env } = query;
  const text = db.getNoopStamp(noopStampKey({ mode: "repro", all, targets: [], cwd, env }));
  const stamp = text === null ? null : parseNoopStamp(text);
  if (stamp === null || checkStateDbFile(db.file) !== "ok") return null;
  return stamp;
}
