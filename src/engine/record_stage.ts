/**
 * Recording a stage: outputs into the cache and linked back, then the lock
 * file, then one `state.db` transaction — in that order, so a crash never
 * leaves a lock pointing at a missing blob. Also restoring outputs from the
 * cache and the run cache.
 *
 * @module
 */
import * as path from "node:path";
import {
  checkManifestRecordable,
  type FileIdentity,
  type HashInfo,
  isDirHash,
  type LockOut,
  Placer,
  restoreDirectory,
  restoreFile,
  type StageLock,
  writeLockFile,
} from "../storage/mod.ts";
import { PivotError } from "../util/errors.ts";
import { statOrNullSync } from "../util/fs.ts";
import { PATH_ABSENT, type PreciseInfo } from "../util/precise_stat.ts";
import type { RecordedOut, StageState } from "./assess_stage.ts";
import type { EngineContext } from "./engine_context.ts";
import type { PlannedOut, StagePlan } from "./stage_plan.ts";
import { type WrittenLock, writtenLock } from "./written_lock.ts";

/** A directory manifest as stored in a run-cache entry. */
type RecordedManifest = readonly { relpath: string; hash: string; size: number; isexec: boolean }[];

/**
 * Checks that the stage produced every declared output, caches the cached
 * ones (linking the workspace copies back), writes the lock and records the
 * hashes and the run-cache entry.
 *
 * @returns the lock written (see `written_lock.ts`), or `null` when it cannot stand for a later look
 * @throws {PivotError} `<missingWhat> <identity → path>` when an output is missing
 *   (`stage did not produce output` after a run, `missing output` for `commit`)
 */
export async function recordStage(
  ctx: EngineContext,
  plan: StagePlan,
  state: StageState,
  runId: string,
  missingWhat: string = "stage did not produce output",
): Promise<WrittenLock | null> {
  const { def } = plan.stage;
  const hasher = await ctx.hasher(def.stateDir);
  const outs: LockOut[] = [];
  const placer = new Placer(ctx.modes);
  // An output is moved into the cache and linked back: it must not lead out of the
  // project (a symlink into the cache is a checkout in symlink mode). One precise `lstat`
  // each (no exception for a missing output): a plain file or directory, the usual output,
  // needs no other look for its real path, nor for its hash.
  // The stage's command may have put a symlink where a directory above an output was.
  recheckOutputDirs(ctx, plan.outs);
  const lstatted = plan.outs.map((out) => {
    const own = ctx.stats.stat(out.path, false);
    const plain = own !== null && own !== PATH_ABSENT &&
      (own.kind === "file" || own.kind === "directory");
    ctx.paths.assertInside(out.path, "cannot record output", ctx.cache.dir, plain);
    return plain ? own : null;
  });
  for (const [i, out] of plan.outs.entries()) {
    // Else one precise `stat`, following a symlink; Deno's says what else is wrong.
    const precise = lstatted[i] ?? ctx.stats.stat(out.path);
    const found = precise === PATH_ABSENT || precise === null ? statOrNullSync(out.path) : precise;
    const isDirectory = found !== null &&
      ("kind" in found ? found.kind === "directory" : found.isDirectory);
    if (found === null || isDirectory !== out.isDir) {
      throw new PivotError(
        `${missingWhat} ${out.display}${
          found === null
            ? ""
            : out.isDir
            ? ": it is a file, not a directory"
            : ": it is a directory"
        }`,
      );
    }
    const info = "kind" in found && !isDirectory
      ? await hasher.hashStatted(out.path, found)
      : await hasher.hashPath(out.path, { isDirectory });
    if (isDirHash(info)) checkManifestRecordable(out.path, info.manifest, `output ${out.display}`);
    // Outputs not cached (metrics) are still stored, unlinked, for the run cache.
    const hashedAs = "kind" in found ? fileIdentity(found) : found;
    await cacheAndLink(ctx, out, info, out.cache ? placer : null, hashedAs);
    outs.push({
      key: out.key,
      path: out.rel,
      hash: info.hash,
      cache: out.cache,
      ...(isDirHash(info) ? { manifest: info.manifest } : {}),
    });
  }
  const written = writeLock(plan, state, outs);
  const db = await ctx.db(def.stateDir);
  db.recordStage(
    hasher.drain(),
    outs.length === 0 || state.inputHash === null ? null : {
      stage: `${def.pipeline}/${def.name}`,
      inputHash: state.inputHash,
      entry: {
        outputs: JSON.stringify(
          outs.map((o) => ({ key: o.key, hash: o.hash, manifest: o.manifest })),
        ),
        runId,
      },
    },
  );
  return written;
}

/**
 * Stores `out` (hashed as `info`) in the cache and links it back with
 * `placer` (`null`: stored, not linked). `hashedAs`, the `stat` of a file
 * output taken before it was hashed, spares reading it again when it is
 * moved into the cache unchanged.
 */
async function cacheAndLink(
  ctx: EngineContext,
  out: PlannedOut,
  info: HashInfo,
  placer: Placer | null,
  hashedAs?: FileIdentity,
): Promise<void> {
  const files = isDirHash(info)
    ? info.manifest.map((e) => ({
      file: path.join(out.path, e.relpath),
      hash: e.hash,
      executable: e.isexec,
      hashedAs: undefined,
    }))
    : [{ file: out.path, hash: info.hash, executable: false, hashedAs }];
  for (const { file, hash, executable, hashedAs } of files) {
    if (placer?.modes[0] === "hardlink" && !executable) {
      // With hardlinks the output itself becomes the blob (no copy): linked into the cache
      // where it is, or moved there and linked back.
      if (hashedAs !== undefined && ctx.cache.linkInPlace(file, hash, hashedAs)) continue;
      if (await ctx.cache.adoptFile(file, hash, hashedAs)) {
        placer.place(ctx.cache.blobPath(hash), file, false);
        continue;
      }
    }
    await ctx.cache.addFile(file, hash);
    // An executable file is placed as a copy, which it is already: it stays as it is (moved
    // into the cache and copied back, it was cut short by a pivot stopped during the copy).
    if (placer !== null && !executable) {
      await restoreFile(ctx.cache, hash, file, placer, { trustBlob: true });
    }
  }
}

/**
 * Makes the guard of `ctx` look again at the directories above `outs` it
 * remembers (one `lstat` each, see `RealPathGuard.recheck`), before pivot
 * writes, links or deletes there: a command run since (this stage's, or
 * another's) may have replaced one with a symlink out of the project.
 */
export function recheckOutputDirs(
  ctx: Pick<EngineContext, "paths" | "stats">,
  outs: readonly { readonly path: string }[],
): void {
  const isDirectory = (dir: string) => {
    const found = ctx.stats.stat(dir, false);
    return found !== null && found !== PATH_ABSENT && found.kind === "directory";
  };
  ctx.paths.recheck(outs.map((out) => out.path), isDirectory);
}

/** The identity of a file (see `FileIdentity`) from its precise `stat`, as Deno's `stat` gives it. */
function fileIdentity(info: PreciseInfo): FileIdentity {
  // Deno's modification time: whole milliseconds, cut (not rounded) from the nanoseconds.
  const mtime = new Date(info.mtimeSec * 1000 + Math.floor(info.mtimeNsec / 1e6));
  return { ino: info.ino, size: info.size, mtime, mode: info.mode };
}

/**
 * Puts the content of `outs` back into the cache from the workspace: their
 * blobs are missing, but the workspace copies still hold the recorded
 * content. Each blob is verified against its hash as it is written, and the
 * workspace copy is linked back to it (the lock stays as it is).
 *
 * @throws {PivotError} when a workspace copy changed meanwhile (it is left as it was)
 */
export async function recacheOutputs(
  ctx: EngineContext,
  outs: readonly RecordedOut[],
): Promise<void> {
  recheckOutputDirs(ctx, outs.map(({ out }) => out));
  for (const { out } of outs) {
    ctx.paths.assertInside(out.path, "cannot re-cache output", ctx.cache.dir);
  }
  const placer = new Placer(ctx.modes);
  for (const { out, info } of outs) await cacheAndLink(ctx, out, info, placer);
}

/** Writes the stage's lock file from its current state and `outs`; returns what it wrote. */
export function writeLock(
  plan: StagePlan,
  state: StageState,
  outs: readonly LockOut[],
): WrittenLock | null {
  const { def } = plan.stage;
  const lock: StageLock = {
    stage: def.name,
    pipeline: def.pipeline,
    fingerprint: state.fingerprint,
    params: state.params,
    deps: state.deps ?? [],
    outs,
  };
  return writtenLock(plan.lockFile, writeLockFile(plan.lockFile, lock), plan);
}

/**
 * Restores `outs` from the cache (all blobs are checked first).
 *
 * @returns false, with nothing written, when a blob is missing
 * @throws {PivotError} when an output's directory leads outside the project (nothing is written)
 */
export async function restoreOutputs(
  ctx: EngineContext,
  outs: readonly RecordedOut[],
): Promise<boolean> {
  if (!outs.every(({ info }) => ctx.hasBlobs(info))) return false;
  recheckOutputDirs(ctx, outs.map(({ out }) => out));
  for (const { out } of outs) ctx.paths.assertParentInside(out.path, "cannot restore output");
  const linker = new Placer(ctx.modes);
  const copier = new Placer(["copy"]);
  for (const { out, info } of outs) {
    // Outputs that are not cached are meant to be edited and committed to git: copies.
    const placer = out.cache ? linker : copier;
    const done = isDirHash(info)
      ? (await restoreDirectory(ctx.cache, info.manifest, out.path, placer)).restored
      : (await restoreFile(ctx.cache, info.hash, out.path, placer)) !== null;
    if (!done) return false;
  }
  return true;
}

/** What a run-cache hit wrote. */
export interface RunCacheRestore {
  /** The lock written (see `written_lock.ts`), `null` when it cannot stand for a later look. */
  readonly written: WrittenLock | null;
}

/**
 * Looks the stage's input hash up in the run cache; on a hit whose blobs are
 * all present, restores the outputs and writes the lock.
 *
 * @returns what a hit wrote, `null` on a miss
 */
export async function restoreFromRunCache(
  ctx: EngineContext,
  plan: StagePlan,
  state: StageState,
): Promise<RunCacheRestore | null> {
  const { def } = plan.stage;
  if (state.inputHash === null || plan.outs.length === 0) return null;
  const db = await ctx.db(def.stateDir);
  const entry = db.getRunCache(`${def.pipeline}/${def.name}`, state.inputHash);
  if (entry === null) return null;
  let recorded: { key: string | null; hash: string; manifest?: RecordedManifest }[];
  try {
    recorded = JSON.parse(entry.outputs);
  } catch {
    return null;
  }
  const outs: RecordedOut[] = [];
  for (const out of plan.outs) {
    const item = recorded.find((r) => r.key === out.key);
    if (item === undefined || (item.manifest !== undefined) !== out.isDir) return null;
    outs.push({
      out,
      info: item.manifest === undefined
        ? { hash: item.hash }
        : { hash: item.hash, manifest: item.manifest },
    });
  }
  if (!(await restoreOutputs(ctx, outs))) return null;
  const written = writeLock(
    plan,
    state,
    outs.map(({ out, info }) => ({
      key: out.key,
      path: out.rel,
      hash: info.hash,
      cache: out.cache,
      ...(isDirHash(info) ? { manifest: info.manifest } : {}),
    })),
  );
  return { written };
}
