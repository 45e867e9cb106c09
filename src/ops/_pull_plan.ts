/**
 * What `repro --pull` downloads: a walk over the stages in run order that
 * predicts, without touching the workspace, how each will end — up to date
 * as its lock records (its outputs come from the cache), restored from a
 * run-cache entry for its current input hash, or run — and so which blobs
 * the engine will then find in the cache. A stage's predicted outputs are
 * the inputs of the stages after it, so a whole chain a teammate computed
 * is restored, not only its first stage.
 *
 * @module
 */
import * as path from "node:path";
import { assessStage, inputHash } from "../engine/assess_stage.ts";
import { type PlannedOut, planStage, type StagePlan } from "../engine/stage_plan.ts";
import type { RunCacheEntryData } from "../remote/mod.ts";
import type { Session } from "../session/mod.ts";
import { type HashInfo, isDirHash, type LockDep, type RunCacheOutput } from "../storage/mod.ts";
import { statOrNullSync } from "../util/fs.ts";
import { isInside } from "../util/paths.ts";
import { OUTPUTS_LOST } from "./stage_status.ts";

/** Where a stage's outputs will come from. */
export interface PulledStage {
  /** DAG name. */
  readonly stage: string;
  /** `lock`: up to date as recorded; `run cache`: an entry for its input hash. */
  readonly from: "lock" | "run cache";
}

/** What {@linkcode planPull} predicts. */
export interface PullPlan {
  /** Stages whose outputs come back without running, in order. */
  readonly stages: readonly PulledStage[];
  /** Blobs the cache lacks that those need → what each is (`train:model → …`). */
  readonly blobs: ReadonlyMap<string, string>;
  /** Run-cache entries used that came from the remote (to be stored locally). */
  readonly entries: readonly { readonly stateDir: string; readonly entry: RunCacheEntryData }[];
}

/** What the walk asks about the world. */
export interface PullLookups {
  /** False only for a blob known to be neither in the cache nor on the remote. */
  available(hash: string): boolean;
  /**
   * The run-cache entry of `stage` (`<pipeline>/<name>`) for `inputHash`,
   * local or from the remote, with where it came from; `null` when neither has it.
   */
  entry(
    stage: string,
    inputHash: string,
    stateDir: string,
  ): Promise<{ entry: RunCacheEntryData; remote: boolean } | null>;
}

/**
 * Walks `stages` (producers first) and predicts which come back without
 * running (none of the `forced` ones) and what that needs.
 */
export async function planPull(
  session: Session,
  stages: readonly string[],
  forced: ReadonlySet<string>,
  lookups: PullLookups,
): Promise<PullPlan> {
  const { project, cache } = session;
  /** Content paths will have once the stages before have been restored. */
  const expected = new Map<string, HashInfo>();
  /** Outputs of stages that will run: their content is not known beforehand. */
  const unknown: string[] = [];
  const pulled: PulledStage[] = [];
  const blobs = new Map<string, string>();
  const entries: { stateDir: string; entry: RunCacheEntryData }[] = [];
  const take = (outs: readonly { out: PlannedOut; info: HashInfo }[]) => {
    for (const { out, info } of outs) {
      expected.set(out.path, info);
      for (const hash of blobsOf(info)) {
        if (!cache.has(hash) && !blobs.has(hash)) blobs.set(hash, labelOf(out, info, hash));
      }
    }
  };
  const usable = (outs: readonly { info: HashInfo }[]) =>
    outs.every(({ info }) => blobsOf(info).every((hash) => lookups.available(hash)));
  for (const name of stages) {
    const plan = planStage(project, name);
    const runs = () => unknown.push(...plan.outs.map((out) => out.path));
    const inputs = plan.deps.flatMap((dep) => dep.inputs);
    if (inputs.some((input) => unknown.some((out) => isInside(out, input.path)))) {
      runs();
      continue;
    }
    const force = forced.has(name);
    const { state, verdict } = await assessStage(session, plan, { restorable: expected, force });
    if (state.deps === null || verdict.action === "fail") {
      runs();
      continue;
    }
    // Present inputs that a restore before this stage will replace.
    const deps = state.deps.map((dep): LockDep => {
      const info = expected.get(path.join(project.root, dep.path));
      if (info === undefined) return dep;
      const { manifest: _old, ...rest } = dep;
      return { ...rest, hash: info.hash, ...(isDirHash(info) ? { manifest: info.manifest } : {}) };
    });
    const changed = deps.some((dep, i) => dep.hash !== state.deps![i]!.hash);
    if (!changed && verdict.action === "skip") continue;
    if (!changed && verdict.action === "restore") {
      for (const { out, info } of verdict.outs) expected.set(out.path, info);
      continue;
    }
    if (force) {
      runs();
      continue;
    }
    if (!changed && verdict.action === "run" && verdict.reason === OUTPUTS_LOST) {
      const outs = recordedOuts(plan, state.lock!.outs);
      // An absent output that is not cached makes the engine run the stage (or use the run cache).
      const complete = outs !== null &&
        outs.every(({ out }) => out.cache || statOrNullSync(out.path) !== null);
      if (complete && usable(outs)) {
        take(outs.filter(({ out }) => out.cache));
        pulled.push({ stage: name, from: "lock" });
        continue;
      }
    }
    const key = changed
      ? inputHash(state.fingerprint, state.params, deps, plan.outs)
      : state.inputHash;
    const found = key === null || plan.outs.length === 0 ? null : await lookups.entry(
      `${plan.stage.def.pipeline}/${plan.stage.def.name}`,
      key,
      plan.stage.def.stateDir,
    );
    const outs = found === null ? null : recordedOuts(plan, found.entry.outputs);
    if (outs === null || !usable(outs)) {
      runs();
      continue;
    }
    take(outs);
    pulled.push({ stage: name, from: "run cache" });
    if (found!.remote) entries.push({ stateDir: plan.stage.def.stateDir, entry: found!.entry });
  }
  return { stages: pulled, blobs, entries };
}

/**
 * Each declared output with the content `recorded` names, or `null` when
 * one is not there (or is a file where a directory is declared, or back).
 */
function recordedOuts(
  plan: StagePlan,
  recorded: readonly RunCacheOutput[],
): { out: PlannedOut; info: HashInfo }[] | null {
  const outs: { out: PlannedOut; info: HashInfo }[] = [];
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
  return outs;
}

/** The file blobs of `info` (a directory's files). */
function blobsOf(info: HashInfo): string[] {
  return isDirHash(info) ? info.manifest.map((entry) => entry.hash) : [info.hash];
}

/** `train:model → data/ml/train/model.json`, with a directory's file. */
function labelOf(out: PlannedOut, info: HashInfo, hash: string): string {
  if (!isDirHash(info)) return out.display;
  const file = info.manifest.find((entry) => entry.hash === hash)!;
  return `${out.display}${out.display.endsWith("/") ? "" : "/"}${file.relpath}`;
}
