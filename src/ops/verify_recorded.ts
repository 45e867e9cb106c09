/**
 * `verify --allow-missing`: the CI gate of a fresh clone, which has the lock
 * and `.pvt` files but neither the cache nor the data. Every selected stage
 * must be up to date *as recorded* and every blob its records name must be
 * in the local cache or on the remote.
 *
 * @module
 */
import * as path from "node:path";
import { assessStage } from "../engine/assess_stage.ts";
import { type PlannedOut, planStage, type StagePlan } from "../engine/stage_plan.ts";
import type { Session } from "../session/mod.ts";
import { type HashInfo, isDirHash, pvtPathFor, readPvtFile } from "../storage/mod.ts";
import { statOrNullSync } from "../util/fs.ts";
import { chooseRemote } from "./choose_remote.ts";
import { openRemote } from "./open_remote.ts";
import { remoteHolds } from "./_remote_holds.ts";
import { selectTargets } from "./select_targets.ts";
import { type OutputProblem, OUTPUTS_LOST } from "./stage_status.ts";
import { type TrackedState, trackedStatus } from "./tracked_status.ts";
import { outsideProject, type VerifyReport, type VerifyResult } from "./verify_stages.ts";

/** Options for {@linkcode verifyRecorded}. */
export interface VerifyRecordedOptions {
  /** Stages or identities (with their upstream); none: every stage and every tracked path. */
  readonly targets: readonly string[];
  /** `-r NAME`. @default {default_remote, else the only remote} */
  readonly remote?: string | undefined;
  /** Trust the remote index (else every blob is asked about). @default {true} */
  readonly useIndex?: boolean;
}

/** What {@linkcode verifyRecorded} found. */
export interface VerifyRecordedResult extends VerifyResult {
  /** The remote whose content counts. */
  readonly remote: string;
  /** Blobs the records name that are in the local cache. */
  readonly local: number;
  /** Blobs the records name that only the remote holds. */
  readonly remoteOnly: number;
}

/** A cached output (or tracked path) whose content the local cache lacks, in part. */
interface Lacking {
  readonly hashes: readonly string[];
}

/**
 * Checks, with the data allowed to be absent, that:
 * - each selected stage (and its upstream) has a lock whose code
 *   fingerprint, params and declared outputs match the pipeline, and whose
 *   recorded inputs match the inputs — an absent input counting with the
 *   content its record names: a stage output the hash its producer's lock
 *   records (the producer being checked first), a tracked path its `.pvt`
 *   hash; a plain file must be present (it comes from git). A stage
 *   downstream of one that fails this is `upstream 'x' is stale`;
 * - each output present in the workspace holds its recorded content, and
 *   each output that is not cached (a metric, kept in git) is present;
 * - each tracked path (all, or those the selected stages read) has a
 *   readable `.pvt` and, when present, matches it;
 * - every blob those records name (each file of a directory) is in the
 *   local cache or on the remote (asked once, through the remote index; not
 *   opened when the cache holds everything).
 *
 * @throws {PivotError} on an unknown target, no usable remote, or a remote that cannot be asked
 */
export async function verifyRecorded(
  session: Session,
  options: VerifyRecordedOptions,
): Promise<VerifyRecordedResult> {
  const { project, cache } = session;
  const { targets, useIndex = true } = options;
  const chosen = chooseRemote(project.config, project.root, options.remote);
  const stages = await selectTargets(project, targets, true);
  const expected = new Map<string, HashInfo>();
  const trackedStates = await trackedStatus(session, targets.length === 0 ? {} : { stages });
  const trackedLacking = new Map<TrackedState, Lacking>();
  const named = new Set<string>();
  for (const state of trackedStates) {
    if (state.status !== "missing" && state.status !== "unchanged") continue;
    const data = path.join(project.root, state.path);
    const record = await readPvtFile(pvtPathFor(data));
    if (record === null) continue;
    if (state.status === "missing") expectContent(expected, data, record.info);
    const all = blobsOf(record.info);
    for (const hash of all) named.add(hash);
    const hashes = all.filter((hash) => !cache.has(hash));
    if (hashes.length > 0) trackedLacking.set(state, { hashes });
  }
  const inconsistent = new Set<string>();
  const reports = new Map<string, VerifyReport>();
  const outputsLacking = new Map<string, (Lacking & { out: PlannedOut })[]>();
  for (const name of stages) {
    const fail = (reason: string) => {
      inconsistent.add(name);
      reports.set(name, { stage: name, passed: false, reason, missing: [], outputs: [] });
    };
    const stale = (project.dag.upstream.get(name) ?? []).find((up) => inconsistent.has(up));
    if (stale !== undefined) {
      fail(`upstream '${stale}' is stale`);
      continue;
    }
    const plan = planStage(project, name);
    const { state, verdict } = await assessStage(session, plan, { restorable: expected });
    const consistent = verdict.action === "skip" || verdict.action === "restore" ||
      (verdict.action === "run" && verdict.reason === OUTPUTS_LOST);
    if (!consistent || state.lock === null) {
      fail(verdict.action === "run" || verdict.action === "fail" ? verdict.reason : "no lock");
      continue;
    }
    const outside = outsideProject(session, name);
    if (outside !== null) {
      fail(outside);
      continue;
    }
    const outs: (Lacking & { out: PlannedOut })[] = [];
    const blobs: string[] = [];
    let problem: string | null = null;
    for (const out of plan.outs) {
      const entry = state.lock.outs.find((o) => o.key === out.key)!;
      const info: HashInfo = entry.manifest === undefined
        ? { hash: entry.hash }
        : { hash: entry.hash, manifest: entry.manifest };
      expectContent(expected, out.path, info);
      // Past the first output whose content is lost, the engine's check has not looked.
      if (verdict.action === "run") problem ??= await workspaceProblem(session, plan, out, info);
      if (!out.cache) continue;
      blobs.push(...blobsOf(info));
      const hashes = blobsOf(info).filter((hash) => !cache.has(hash));
      if (hashes.length > 0) outs.push({ out, hashes });
    }
    if (problem !== null) {
      fail(problem);
      continue;
    }
    for (const hash of blobs) named.add(hash);
    outputsLacking.set(name, outs);
    reports.set(name, { stage: name, passed: true, reason: "", missing: [], outputs: [] });
  }
  const wanted = [
    ...[...outputsLacking.values()].flat(),
    ...trackedLacking.values(),
  ].flatMap((item) => item.hashes);
  let onRemote = new Set<string>();
  if (wanted.length > 0) {
    await using remote = await openRemote(session, { remote: chosen.name });
    onRemote = await remoteHolds(remote, wanted, { cache, useIndex });
  }
  const lost = (item: Lacking) => item.hashes.some((hash) => !onRemote.has(hash));
  for (const [name, outs] of outputsLacking) {
    const gone = outs.filter(lost);
    if (gone.length === 0) continue;
    const outputs = gone.map(({ out }): OutputProblem => ({
      identity: out.identity,
      path: project.store.displayPath(out.path, out.isDir),
      status: "lost",
      fix: `pivot repro -f ${name}`,
    }));
    reports.set(name, {
      stage: name,
      passed: false,
      reason: `content in neither the local cache nor remote '${chosen.name}': ${
        outputs.map((o) => o.identity).join(", ")
      }`,
      missing: outputs.map((o) => o.identity),
      outputs,
    });
  }
  const tracked = trackedStates.map((state): TrackedState => {
    const item = trackedLacking.get(state);
    return item === undefined ? state : { ...state, onRemote: !lost(item) };
  });
  const missingLocally = new Set(wanted);
  return {
    stages: stages.map((name) => reports.get(name)!),
    tracked,
    remote: chosen.name,
    local: named.size - missingLocally.size,
    remoteOnly: [...missingLocally].filter((hash) => onRemote.has(hash)).length,
  };
}

/**
 * Records in `expected` the content `data` will have once restored: the
 * path's, and for a directory each file's (an input may name one).
 */
function expectContent(expected: Map<string, HashInfo>, data: string, info: HashInfo): void {
  expected.set(data, info);
  if (!isDirHash(info)) return;
  for (const entry of info.manifest) {
    expected.set(path.join(data, entry.relpath), { hash: entry.hash });
  }
}

/** The file blobs of `info` (a directory's files). */
function blobsOf(info: HashInfo): string[] {
  return [...new Set(isDirHash(info) ? info.manifest.map((entry) => entry.hash) : [info.hash])];
}

/**
 * Why the workspace copy of `out` disagrees with its record (`output x was
 * modified`; a missing output that is not cached: `output x is missing`), or
 * `null`.
 */
async function workspaceProblem(
  session: Session,
  plan: StagePlan,
  out: PlannedOut,
  info: HashInfo,
): Promise<string | null> {
  const present = statOrNullSync(out.path);
  if (present === null) return out.cache ? null : `output ${out.display} is missing`;
  const hasher = await session.hasher(plan.stage.def.stateDir);
  const matches = present.isDirectory === out.isDir &&
    (await hasher.hashPath(out.path, present)).hash === info.hash;
  return matches ? null : `output ${out.display} was modified`;
}
