/**
 * What a run wrote for a stage it recorded, kept for the run's closing look
 * at its stages (see `ops/confirm_up_to_date.ts`): a digest of the lock
 * text, not the text or the state it came from (a run of 10,000 stages keeps
 * 10,000 short strings). That look then takes the lock's content from its
 * own write, read back and compared, instead of parsing and validating it,
 * fingerprinting the stage and comparing every field again; inputs and
 * outputs are hashed through the hash cache as `assessStage` hashes them
 * (an entry learnt inside the racy window is not trusted: its file is read
 * again).
 *
 * @module
 */
import { type FileHasher, hashBytes, type HashInfo } from "../storage/mod.ts";
import { PATH_ABSENT, type PreciseStat } from "../util/precise_stat.ts";
import { readFileOrNullSync } from "../util/fs.ts";
import type { EngineContext } from "./engine_context.ts";
import type { StagePlan } from "./stage_plan.ts";

/** The lock a run wrote for a stage: the file and the xxHash64 of its text. */
export interface WrittenLock {
  readonly file: string;
  readonly digest: string;
}

/** The fields of a lock's JSON text this module reads. */
interface LockFields {
  readonly deps: readonly { readonly path: string; readonly hash: string }[];
  readonly outs: readonly {
    readonly key?: string;
    readonly hash: string;
    readonly manifest?: unknown;
  }[];
}

/** The first byte of a lock written as JSON: `{`. */
const OPEN_BRACE = 0x7b;

/**
 * The record of lock text written to `file` (as UTF-8 `bytes`), or `null`
 * when a later look cannot take its content from it: text that is not JSON
 * (YAML, as written for values JSON cannot hold), or a directory among the
 * outputs (whose blobs are listed in a manifest; such a stage is assessed as
 * usual).
 */
export function writtenLock(
  file: string,
  bytes: Uint8Array,
  plan: Pick<StagePlan, "outs">,
): WrittenLock | null {
  if (bytes[0] !== OPEN_BRACE || plan.outs.some((out) => out.isDir)) return null;
  return { file, digest: hashBytes(bytes) };
}

/** What a look at many stages with {@linkcode recordedAsWritten} shares between them. */
export interface AsWrittenOptions {
  /**
   * The outputs hashed by the look so far, by path: an input that one of
   * them is is taken from there (a fan-in's thousand inputs are not looked
   * at twice; a file changed in between changes the signature the stamp
   * takes of it, which then is not settled, or not the path's any more, and
   * the stamp does not hold: a symlink's own signature is taken too, for one
   * pointed at an older file), and this stage's outputs are added.
   * @default {a new map}
   */
  readonly outputs?: Map<string, HashInfo | null>;
  /**
   * How inputs and outputs are looked at: each path's own status first (a
   * symlink's, then what it points to), kept there for the stamp taken
   * afterwards (see `util/remembered_stat.ts`), so that each path is looked
   * at once for both. @default {the hasher's own `stat`, following symlinks}
   */
  readonly seen?: PreciseStat;
}

/**
 * What the lock this command wrote for a stage records, as
 * {@linkcode recordedAsWritten} found it holding: the hash of each input by
 * path (relative to the project) and of each output by key (`null`: a
 * single output). The verdict "up to date" was reached on exactly these.
 */
export interface RecordedAsWritten {
  readonly written: WrittenLock;
  readonly deps: ReadonlyMap<string, string>;
  readonly outs: ReadonlyMap<string | null, string>;
}

/**
 * What the lock of the stage of `plan` records, when this command wrote it
 * as `written` and the stage is up to date as `assessStage` would find it:
 * its lock file still holds the text written (read again and compared),
 * every input has the content its lock records, every output the recorded
 * content (hashed through the hash cache, as `assessStage` does) with its
 * blob in the cache when cached. The code and params the lock records are
 * those of this command's project (it wrote them); a file of the project
 * that changed since it was loaded keeps a stamp from being written. See
 * {@linkcode AsWrittenOptions} for what a look at many stages shares.
 *
 * @returns `null` when anything differs: the caller assesses the stage to
 *   learn what (this never stands in for a verdict other than "up to date")
 */
export async function recordedAsWritten(
  ctx: EngineContext,
  plan: StagePlan,
  written: WrittenLock,
  options: AsWrittenOptions = {},
): Promise<RecordedAsWritten | null> {
  const { outputs = new Map(), seen } = options;
  if (written.file !== plan.lockFile) return null;
  // Read and hashed as bytes, decoded only when they are those written (no copy made to hash them).
  const bytes = readFileOrNullSync(plan.lockFile);
  if (bytes === null || hashBytes(bytes) !== written.digest) return null;
  // The text this command wrote: JSON it made, no validation needed.
  const lock = JSON.parse(new TextDecoder().decode(bytes)) as LockFields;
  const hasher = await ctx.hasher(plan.stage.def.stateDir);
  const deps = new Map(lock.deps.map((dep) => [dep.path, dep.hash]));
  let inputs = 0;
  for (const dep of plan.deps) {
    for (const input of dep.inputs) {
      inputs++;
      const hashed = outputs.has(input.path)
        ? outputs.get(input.path)!
        : await hashLooked(hasher, input.path, seen);
      if (hashed === null || hashed.hash !== deps.get(input.rel)) return null;
    }
  }
  if (inputs !== lock.deps.length || lock.outs.length !== plan.outs.length) return null;
  const outs = new Map<string | null, string>();
  for (const out of plan.outs) {
    const entry = lock.outs.find((item) => (item.key ?? null) === out.key);
    if (entry === undefined || entry.manifest !== undefined || out.isDir) return null;
    const hashed = await hashLooked(hasher, out.path, seen);
    outputs.set(out.path, hashed);
    if (hashed === null || "manifest" in hashed || hashed.hash !== entry.hash) return null;
    if (out.cache && !ctx.hasBlobs({ hash: entry.hash })) return null;
    outs.set(out.key, entry.hash);
  }
  return { written, deps, outs };
}

/**
 * The hash of `file` as `hashIfPresent` gives it; with `seen`, from its
 * status there: its own first, and, for a symlink, what it points to.
 */
function hashLooked(
  hasher: FileHasher,
  file: string,
  seen: PreciseStat | undefined,
): Promise<HashInfo | null> {
  if (seen === undefined) return hasher.hashIfPresent(file);
  const own = seen.stat(file, false);
  const isLink = own !== null && own !== PATH_ABSENT && own.kind === "symlink";
  return hasher.hashFound(file, isLink ? seen.stat(file, true) : own);
}
