import { assessStage } from "../engine/assess_stage.ts";
import { newRunId } from "../engine/run_id.ts";
import { planStage } from "../engine/stage_plan.ts";
import { recacheOutputs, recordStage } from "../engine/record_stage.ts";
import type { Session } from "../session/mod.ts";
import { PivotError } from "../util/errors.ts";
import { holdCacheForWriting } from "./_cache_guard.ts";
import { ignoreCachedOutputs } from "./ignore_outputs.ts";
import { selectTargets } from "./select_targets.ts";

/** The reason of a commit that only put lost content back into the cache. */
const RECACHED = "content re-cached from the workspace";

/** How the failure of a declared output that is not there begins. */
const MISSING_OUTPUT = "missing output";

/** What {@linkcode commitStages} did for one stage. */
export interface CommitReport {
  readonly stage: string;
  readonly status: "committed" | "unchanged" | "failed";
  readonly reason: string;
  /** For a failure: what to do about it, or `null`. */
  readonly hint: string | null;
}

/**
 * Records the workspace as it is for each stage without running it: inputs
 * and outputs are hashed, outputs cached and the lock written. Without
 * targets, only stages that are not up to date are committed. `signal`
 * stops it between stages (the stages committed so far stay committed, and
 * the signal's reason is thrown; a stop during the last stage stops nothing).
 */
export async function commitStages(
  session: Session,
  options: { targets: readonly string[]; signal?: AbortSignal | undefined },
): Promise<CommitReport[]> {
  const { project } = session;
  const { signal } = options;
  const stages = await selectTargets(project, options.targets, false);
  using _cache = await holdCacheForWriting(project.root, {
    warn: session.warn,
    signal,
  });
  signal?.throwIfAborted();
  const runId = newRunId();
  const reports: CommitReport[] = [];
  let stoppedEarly = false;
  for (const name of stages) {
    if (signal?.aborted) {
      stoppedEarly = true;
      break;
    }
    const plan = planStage(project, name);
    const { state, verdict } = await assessStage(session, plan);
    if (verdict.action === "fail") {
      reports.push({
        stage: name,
        status: "failed",
        reason: verdict.reason,
        hint: "produce the missing inputs (or run 'pivot repro'), then commit again",
      });
      continue;
    }
    // Content the cache lost goes back in from the workspace (the lock already records it).
    const recache = verdict.action === "restore" ? verdict.recache : [];
    if (options.targets.length === 0 && verdict.action !== "run" && recache.length === 0) {
      reports.push({ stage: name, status: "unchanged", reason: "up to date", hint: null });
      continue;
    }
    try {
      if (options.targets.length === 0 && verdict.action !== "run") {
        await recacheOutputs(session, recache);
      } else await recordStage(session, plan, state, runId, MISSING_OUTPUT);
      reports.push({
        stage: name,
        status: "committed",
        reason: verdict.action === "run"
          ? verdict.reason
          : recache.length > 0
          ? RECACHED
          : "up to date",
        hint: null,
      });
    } catch (error) {
      if (!(error instanceof PivotError)) throw error;
      const hint = error.hint ??
        (error.message.startsWith(MISSING_OUTPUT)
          ? "produce the missing files (or run 'pivot repro'), then commit again"
          : null);
      reports.push({ stage: name, status: "failed", reason: error.message, hint });
    }
  }
  ignoreCachedOutputs(
    project,
    reports.filter((r) => r.status === "committed").map((r) => r.stage),
  );
  // A stop that came while the last stage was committed stopped nothing: the report stands.
  if (stoppedEarly) signal?.throwIfAborted();
  return reports;
}
