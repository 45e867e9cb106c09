/**
 * No-op stamps: after a `repro` that found every stage up to date, the
 * signature (`stat`) of every file and directory the verdicts were read from.
 * While all of them are unchanged, the same command reaches the same verdicts,
 * so `pivot repro` can answer from the stamp without loading the pipeline
 * (SPEC §13: a no-op is instant). This module only reads stamps and must stay
 * light: it runs before the rest of pivot is loaded. `record_noop_stamp.ts`
 * writes them.
 *
 * @module
 */
import { fileSignatureText } from "../storage/file_signature.ts";
import { type AbsentGroup, pushPresentPaths } from "../storage/absent_groups.ts";
import { racyEntryHolds } from "../storage/racy_content.ts";
import type { EnvReader } from "../util/env_reader.ts";
import { entryNamesSync } from "../util/fs.ts";
import type { PreciseStat } from "../util/precise_stat.ts";
import { VERSION } from "../version.ts";

/**
 * The stamp format this build reads and writes (3: racy entries with their
 * content; 4: absent paths by directory, a ctime equal to the mtime as `=`;
 * 5: racy entries with a digest of their content, not the content).
 */
export const NOOP_STAMP_FORMAT = 5;

/** How many stamps (distinct commands) a project keeps. */
export const NOOP_STAMPS_KEPT = 8;

/** A `stage_complete` event of the recorded run, without its duration. */
export interface StampedCompletion {
  readonly stage: string;
  readonly index: number;
  readonly total: number;
  readonly reason: string;
  readonly details: readonly string[];
}

/** What a command read: while all of it is unchanged, it would find the same again. */
export interface StampEvidence {
  /** Signatures by absolute path, taken with `stat`. */
  readonly followed: Readonly<Record<string, string>>;
  /** Signatures by absolute path, taken with `lstat` (entries of walked directories). */
  readonly unfollowed: Readonly<Record<string, string>>;
  /** Running-stage sentinels that must not exist: file names by directory. */
  readonly sentinels: Readonly<Record<string, readonly string[]>>;
  /**
   * Racy entries (see `storage/racy_content.ts`): paths of `followed`
   * whose signature was taken within the racy window, with the size and a
   * digest of their content then; unchanged only while the content is too.
   */
  readonly racy: Readonly<Record<string, string>>;
  /** Paths with no entry (the `.pvt` files that could track inputs), by directory. */
  readonly absent: readonly AbsentGroup[];
}

/** What a no-op run read, and what it reported. */
export interface NoopStamp extends StampEvidence {
  readonly format: typeof NOOP_STAMP_FORMAT;
  /** When the command started reading (ms since the epoch). */
  readonly writtenMs: number;
  /** The stages considered, in order. */
  readonly stages: readonly string[];
  /** The completions reported, in order (every one "up to date"). */
  readonly completions: readonly StampedCompletion[];
  /**
   * The files the project was loaded from, among `followed` (config,
   * params, pipeline files, the code fingerprints read): a change to one
   * may change any stage. Missing in stamps of older builds.
   */
  readonly sources?: readonly string[];
}

/**
 * What the no-op fast path found of a command's stamp that no longer holds:
 * the stamp and every path of it that changed. The full way starts from it
 * instead of reading and checking the stamp again (see `known_up_to_date.ts`).
 */
export interface StampLook {
  /** The key the stamp was found under (see {@linkcode noopStampKey}). */
  readonly key: string;
  readonly stamp: NoopStamp;
  /** Every path whose signature changed (at least one). */
  readonly changed: readonly string[];
}

/** What decides which stamp applies to a command. */
export interface NoopStampQuery {
  readonly mode: "repro" | "run";
  readonly all: boolean;
  readonly targets: readonly string[];
  /** The real path of the directory the command runs in. */
  readonly cwd: string;
  /** The environment variables the command sees. */
  readonly env: EnvReader;
}

/**
 * The key of the stamp for a command: everything besides files that decides
 * its verdicts (the pivot version, the command and the variables naming the
 * config and cache locations).
 */
export function noopStampKey(query: NoopStampQuery): string {
  const env = ["PIVOT_CACHE_DIR", "XDG_CONFIG_HOME", "HOME"].map((name) => query.env(name));
  return JSON.stringify([VERSION, query.mode, query.all, query.targets, query.cwd, env]);
}

/** The stamp in `text`, or `null` when it is not one this build wrote. */
export function parseNoopStamp(text: string): NoopStamp | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const stamp = value as Partial<NoopStamp>;
  const ok = isEvidence(value) && Array.isArray(stamp.stages) &&
    Array.isArray(stamp.completions) && stamp.completions.length === stamp.stages.length;
  return ok ? stamp as NoopStamp : null;
}

/**
 * True when `value` has the fields of {@linkcode StampEvidence}, this
 * build's stamp format and the time it was taken.
 */
export function isEvidence(
  value: unknown,
): value is StampEvidence & { format: typeof NOOP_STAMP_FORMAT; writtenMs: number } {
  if (typeof value !== "object" || value === null) return false;
  const stamp = value as Partial<NoopStamp>;
  const isMap = (item: unknown) => typeof item === "object" && item !== null;
  return stamp.format === NOOP_STAMP_FORMAT && typeof stamp.writtenMs === "number" &&
    isMap(stamp.followed) && isMap(stamp.unfollowed) && isMap(stamp.sentinels) &&
    isMap(stamp.racy) && Array.isArray(stamp.absent);
}

/**
 * True when every path still has the signature the stamp recorded and no
 * stamped stage is running: the verdicts the stamp reports still hold.
 *
 * @throws when a sentinel directory cannot be listed
 */
export function noopStampHolds(
  stamp: StampEvidence & { readonly writtenMs: number },
  stats: PreciseStat,
  now = Date.now(),
): boolean {
  return changedStampPaths(stamp, stats, now, 1)?.length === 0;
}

/**
 * The paths whose signature is no longer the one the stamp recorded (at
 * most `limit` of them), or `null` when the stamp tells nothing any more: a
 * stamped stage is running, or the clock went back.
 *
 * @throws when a sentinel directory cannot be listed
 */
export function changedStampPaths(
  stamp: StampEvidence & { readonly writtenMs: number },
  stats: PreciseStat,
  now = Date.now(),
  limit = Infinity,
): string[] | null {
  // A clock that went back makes times useless as evidence.
  if (now < stamp.writtenMs) return null;
  for (const [dir, names] of Object.entries(stamp.sentinels)) {
    const present = entryNamesSync(dir);
    if (names.some((name) => present.has(name))) return null;
  }
  const changed: string[] = [];
  for (const file in stamp.followed) {
    if (changed.length >= limit) return changed;
    const racy = stamp.racy[file];
    if (
      fileSignatureText(stats, file, true) !== stamp.followed[file] ||
      (racy !== undefined && !racyEntryHolds(file, racy))
    ) changed.push(file);
  }
  for (const file in stamp.unfollowed) {
    if (changed.length >= limit) return changed;
    if (fileSignatureText(stats, file, false) !== stamp.unfollowed[file]) changed.push(file);
  }
  pushPresentPaths(stamp.absent, stats, changed, limit);
  return changed;
}
