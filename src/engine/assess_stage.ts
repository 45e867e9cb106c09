/**
 * Whether a stage is up to date, and if not, why: the checks of SPEC §7 in
 * order (lock, code, params, inputs, declared outputs, outputs present with
 * their recorded content), the first failing one giving the reason.
 *
 * @module
 */
import {
  hashBytes,
  type HashInfo,
  isDirHash,
  type LockDep,
  type LockFingerprint,
  readLockFile,
  type StageLock,
} from "../storage/mod.ts";
import { commandWithParams } from "../pipeline/command_with_params.ts";
import type { StageAction } from "../pipeline/types.ts";
import { ABSENT, fileSignatureText } from "../storage/file_signature.ts";
import { statOrNullSync } from "../util/fs.ts";
import { relativePosix } from "../util/paths.ts";
import { absentIsPlain } from "../util/precise_stat.ts";
import type { EngineContext } from "./engine_context.ts";
import { describeFingerprintKey, stageFingerprint } from "./stage_fingerprint.ts";
import type { PlannedOut, StagePlan } from "./stage_plan.ts";

/** An output and the content its lock records. */
export interface RecordedOut {
  readonly out: PlannedOut;
  readonly info: HashInfo;
}

/** The stage as it is now, next to what its lock recorded. */
export interface StageState {
  readonly fingerprint: LockFingerprint;
  readonly params: Readonly<Record<string, unknown>>;
  /** Current input hashes (`null` when an input is missing). */
  readonly deps: readonly LockDep[] | null;
  /** Missing inputs as messages show them (`raw.csv`, `prep → data/ml/prep.csv`). */
  readonly missing: readonly string[];
  readonly lock: StageLock | null;
  /**
   * The lock file's signature (see `file_signature.ts`) as it was looked at,
   * before it was read: another process that records the stage afterwards
   * replaces the file, and so changes it.
   */
  readonly lockSeen: string | null;
  /** Hash of everything that decides the outputs (`null` with missing inputs). */
  readonly inputHash: string | null;
}

/** What to do with a stage. */
export type Verdict =
  | { readonly action: "skip" }
  /**
   * Up to date, with repairs: `outs` are missing from the workspace and come
   * back from the cache; `recache` are in the workspace with their recorded
   * content but their content is missing from the cache, so it goes back in.
   */
  | {
    readonly action: "restore";
    readonly outs: readonly RecordedOut[];
    readonly recache: readonly RecordedOut[];
  }
  | { readonly action: "run"; readonly reason: string; readonly details: readonly string[] }
  | { readonly action: "fail"; readonly reason: string };

/** Options for {@linkcode assessStage}. */
export interface AssessOptions {
  /** Run even when up to date. @default {false} */
  force?: boolean;
  /**
   * Content of inputs that are absent but will be restored from the cache
   * first (upstream outputs), by absolute path; `status` uses it to judge a
   * stage as it will be after the restore. @default {none}
   */
  restorable?: ReadonlyMap<string, HashInfo>;
  /**
   * What the directories above a missing lock were found to be, shared by the
   * stages of one run (see `absentIsPlain`): a thousand stages whose locks
   * share a directory look at it once. @default {each stage looks}
   */
  lockDirs?: Map<string, boolean>;
}

/** Computes the stage's current state and the verdict. */
export async function assessStage(
  ctx: EngineContext,
  plan: StagePlan,
  options: AssessOptions = {},
): Promise<{ state: StageState; verdict: Verdict }> {
  const { def } = plan.stage;
  const root = ctx.project.root;
  const hasher = await ctx.hasher(def.stateDir);
  const fingerprint = await stageFingerprint(
    def,
    root,
    ctx.fingerprints,
    def.action.kind === "run" ? await ctx.parseCache() : null,
  );
  const missing: string[] = [];
  const deps: LockDep[] = [];
  for (const dep of plan.deps) {
    for (const input of dep.inputs) {
      const hashed = await hasher.hashIfPresent(input.path);
      const pending = hashed === null ? options.restorable?.get(input.path) : undefined;
      if (pending !== undefined) {
        deps.push({
          name: dep.name,
          identity: input.identity,
          path: input.rel,
          hash: pending.hash,
          ...(isDirHash(pending) ? { manifest: pending.manifest } : {}),
        });
        continue;
      }
      if (hashed === null) {
        missing.push(input.display);
        continue;
      }
      deps.push({
        name: dep.name,
        identity: input.identity,
        path: input.rel,
        hash: hashed.hash,
        ...(isDirHash(hashed) ? { manifest: hashed.manifest } : {}),
      });
    }
  }
  // A stage that never ran has no lock: `statx` says so without an exception.
  const lockSeen = fileSignatureText(ctx.stats, plan.lockFile);
  const lockAbsent = lockSeen === ABSENT &&
    absentIsPlain(ctx.stats, plan.lockFile, options.lockDirs);
  const lock = lockAbsent ? null : await readLockFile(plan.lockFile, {
    warn: ctx.warn,
    cache: await ctx.parseCache(),
    display: relativePosix(root, plan.lockFile),
    expect: { stage: def.name, pipeline: def.pipeline },
  });
  // Computed now, not when first read: a getter's closure would keep the plan (and so every
  // stage's plan of a run) alive as long as the state (a fresh 10,000-stage run: +30 MiB).
  const state: StageState = {
    fingerprint,
    params: def.params,
    deps: missing.length > 0 ? null : deps,
    missing,
    lock,
    lockSeen,
    inputHash: missing.length > 0 ? null : inputHash(fingerprint, def.params, deps, plan.outs),
  };
  return { state, verdict: await decide(ctx, plan, state, options.force ?? false) };
}

/**
 * True when every input of the stage that is another stage's output still
 * exists with the content hashed into `state` (through the hash cache: a
 * `stat` each), so a verdict taken before the stage held its reader marks
 * still stands.
 */
export async function upstreamOutputsUnchanged(
  ctx: EngineContext,
  plan: StagePlan,
  state: StageState,
): Promise<boolean> {
  if (state.deps === null) return false;
  const recorded = new Map(state.deps.map((dep) => [dep.path, dep.hash]));
  const hasher = await ctx.hasher(plan.stage.def.stateDir);
  for (const dep of plan.deps) {
    for (const input of dep.inputs) {
      if (input.identity === null) continue;
      const hashed = await hasher.hashIfPresent(input.path);
      if (hashed === null || hashed.hash !== recorded.get(input.rel)) return false;
    }
  }
  return true;
}

async function decide(
  ctx: EngineContext,
  plan: StagePlan,
  state: StageState,
  force: boolean,
): Promise<Verdict> {
  if (state.deps === null) {
    return {
      action: "fail",
      reason: `missing input${state.missing.length > 1 ? "s" : ""}: ${state.missing.join(", ")}`,
    };
  }
  const { lock } = state;
  if (lock === null) return { action: "run", reason: "no previous run", details: [] };
  if (lock.fingerprint.hash !== state.fingerprint.hash) {
    if (commandChangedByParams(plan.stage.def.action, lock)) {
      return {
        action: "run",
        reason: "params changed",
        details: paramsDiff(lock.params, state.params),
      };
    }
    return {
      action: "run",
      reason: "code changed",
      details: manifestDiff(lock.fingerprint.manifest, state.fingerprint.manifest),
    };
  }
  if (canonical(lock.params) !== canonical(state.params)) {
    return {
      action: "run",
      reason: "params changed",
      details: paramsDiff(lock.params, state.params),
    };
  }
  const depDetails = depsDiff(lock.deps, state.deps);
  if (depDetails.length > 0) {
    return { action: "run", reason: "inputs changed", details: depDetails };
  }
  const declared = plan.outs.map((o) => `${o.key ?? ""}\0${o.rel}\0${o.cache}`).sort();
  const recorded = lock.outs.map((o) => `${o.key ?? ""}\0${o.path}\0${o.cache}`).sort();
  if (declared.join("\n") !== recorded.join("\n")) {
    return { action: "run", reason: "outputs changed", details: [] };
  }
  if (force) return { action: "run", reason: "forced", details: [] };
  const restore: RecordedOut[] = [];
  const recache: RecordedOut[] = [];
  for (const out of plan.outs) {
    const entry = lock.outs.find((o) => o.key === out.key)!;
    const info: HashInfo = entry.manifest === undefined
      ? { hash: entry.hash }
      : { hash: entry.hash, manifest: entry.manifest };
    if ((entry.manifest !== undefined) !== out.isDir) {
      return { action: "run", reason: "outputs changed", details: [] };
    }
    if (await matches(ctx, plan, out, info)) {
      // The workspace copy is right; if the cache lost its content (deleted, or
      // moved aside as corrupt), it is put back from the workspace.
      if (out.cache && !ctx.hasBlobs(info)) recache.push({ out, info });
      continue;
    }
    // A missing cached output comes back from the cache; a changed one (or a missing
    // metric) means the stage runs again, never that an edit is silently undone.
    const changed = changedOutputReason(ctx, out, info);
    if (changed !== null) return { action: "run", reason: changed, details: [] };
    if (!ctx.hasBlobs(info)) {
      return { action: "run", reason: "outputs missing from cache", details: [out.display] };
    }
    restore.push({ out, info });
  }
  return restore.length === 0 && recache.length === 0
    ? { action: "skip" }
    : { action: "restore", outs: restore, recache };
}

/**
 * True when the command the lock recorded is the stage's command with the
 * lock's parameters in place of the current ones (a DVC-style
 * `--lr ${train.lr}` whose parameter changed): the reason is then the
 * parameters, not the code.
 */
function commandChangedByParams(action: StageAction, lock: StageLock): boolean {
  if (action.kind !== "cmd" || action.paramTemplate === undefined) return false;
  const recorded = lock.fingerprint.manifest;
  return Object.keys(recorded).join() === "cmd" &&
    hashBytes(commandWithParams(action.paramTemplate, lock.params)) === recorded["cmd"];
}

/**
 * Why the stage runs again for `out`, whose workspace copy does not hold the
 * recorded content `info`: it was modified (through its link to the cache,
 * the blob with it; or while the cache lacks the recorded content, so no
 * checkout brings it back), or it is a missing metric; `null` when it is
 * missing and may come back from the cache.
 */
function changedOutputReason(ctx: EngineContext, out: PlannedOut, info: HashInfo): string | null {
  const present = statOrNullSync(out.path);
  if (present === null) return out.cache ? null : `output ${out.display} is missing`;
  if (!out.cache) return `output ${out.display} was modified`;
  if (!out.isDir && sharesBlob(present, ctx, info.hash)) {
    // Edited in place through its hardlink or symlink (by root, or after a chmod).
    return `output ${out.display} was edited in place through its link to the cache, so the cached copy changed too`;
  }
  return ctx.hasBlobs(info)
    ? `output ${out.display} was modified`
    : `output ${out.display} was modified, and the cache does not hold its recorded content`;
}

/** True when `file` (a stat of an output, symlinks followed) is the very file of the blob `hash`. */
function sharesBlob(file: Deno.FileInfo, ctx: EngineContext, hash: string): boolean {
  if (!file.isFile || file.ino === null) return false;
  const blob = statOrNullSync(ctx.cache.blobPath(hash));
  return blob !== null && blob.ino === file.ino && blob.dev === file.dev;
}

/** True when the workspace copy of `out` holds the recorded content. */
async function matches(
  ctx: EngineContext,
  plan: StagePlan,
  out: PlannedOut,
  info: HashInfo,
): Promise<boolean> {
  const present = statOrNullSync(out.path);
  if (present === null || present.isDirectory !== out.isDir) return false;
  // Hashed (through the hash cache) even when it is a hardlink to the blob: a
  // process running as root can write to a read-only file.
  const hasher = await ctx.hasher(plan.stage.def.stateDir);
  return (await hasher.hashPath(out.path)).hash === info.hash;
}

/**
 * The run-cache key: a hash of the fingerprint, params, input hashes and
 * declared outputs (local to this machine, so any stable encoding will do).
 */
export function inputHash(
  fingerprint: LockFingerprint,
  params: Readonly<Record<string, unknown>>,
  deps: readonly LockDep[],
  outs: readonly PlannedOut[],
): string {
  // canonical() of the four, written in its key order (deps, fingerprint, outs, params) with its
  // replacer only for the params: the lists hold strings and booleans only, and a fan-in's
  // thousand inputs are thousands of calls of the replacer.
  const lists = JSON.stringify({
    deps: deps.map((d) => [d.path, d.hash]).sort(),
    fingerprint: fingerprint.hash,
    outs: outs.map((o) => [o.key ?? "", o.rel, o.cache, o.format]).sort(),
  });
  return hashBytes(`${lists.slice(0, -1)},"params":${canonical(params)}}`);
}

/** JSON with object keys sorted, for comparisons that ignore key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item) => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) return item;
    return Object.fromEntries(Object.keys(item).sort().map((k) => [k, item[k]]));
  });
}

function manifestDiff(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.flatMap((key) => {
    if (before[key] === after[key]) return [];
    const what = describeFingerprintKey(key);
    if (before[key] === undefined) return [`code: ${what} added`];
    if (after[key] === undefined) return [`code: ${what} removed`];
    return [`code: ${what}`];
  });
}

function paramsDiff(
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
): string[] {
  const flat = (value: unknown, prefix: string, out: Map<string, string>) => {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      for (const [key, item] of Object.entries(value)) {
        flat(item, prefix === "" ? key : `${prefix}.${key}`, out);
      }
    } else {
      // Key order ignored, as the verdict ignores it (the lock keeps the keys sorted): a list of
      // objects is named only when it changed.
      out.set(prefix, canonical(value));
    }
    return out;
  };
  const a = flat(before, "", new Map());
  const b = flat(after, "", new Map());
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys.flatMap((key) =>
    a.get(key) === b.get(key)
      ? []
      : [`params: ${key}: ${a.get(key) ?? "(none)"} → ${b.get(key) ?? "(none)"}`]
  );
}

function depsDiff(before: readonly LockDep[], after: readonly LockDep[]): string[] {
  const a = new Map(before.map((d) => [d.path, d]));
  const b = new Map(after.map((d) => [d.path, d]));
  // Only the inputs that differ are named (a fan-in's thousand inputs, one of them changed).
  const differ = [...a.keys()].filter((p) => a.get(p)!.hash !== b.get(p)?.hash);
  for (const p of b.keys()) if (!a.has(p)) differ.push(p);
  return differ.sort().map((p) => {
    // An input that is a stage output is shown as `identity → path` (as it is now, if still read).
    const d = b.get(p) ?? a.get(p)!;
    const shown = d.identity === null
      ? d.path
      : `${d.identity} → ${d.path}${d.manifest === undefined ? "" : "/"}`;
    if (!a.has(p)) return `input: ${shown} added`;
    if (!b.has(p)) return `input: ${shown} removed`;
    return `input: ${shown} changed`;
  });
}
