import { assessStage, newRunId, planStage, recacheOutputs, recordStage } from "../engine/mod.ts";
import type { Session } from "../session/mod.ts";
import { PivotError } from "../util/errors.ts";
import { holdCacheForWriting } from "./_cache_guard.ts";
import { ignoreCachedOutputs } from "./ignore_outputs.ts";
import { selectTargets } from "./select_targets.ts";

/** The reason of a commit that only put lost content back into the cache. */
const RECACHED = "content re-cached from the workspace";

/** What {@linkcode commitStages} did for one stage. */
export interface CommitReport {
  readonly stage: string;
  readonly status: "committed" | "unchanged" | "failed";
  readonly reason: string;
}

/**
 * Records the workspace as it is for each stage without running it: inputs
 * and outputs are hashed, outputs cached and the lock written. Without
 * targets, only stages that are not up to date are committed.
 */
export async function commitStages(
  session: Session,
  options: { targets: readonly string[] },
): Promise<CommitReport[]> {
  const { project } = session;
  const stages = await selectTargets(project, options.targets, false);
  using _cache = await holdCacheForWriting(project.root, { warn: session.warn });
  const runId = newRunId();
  const reports: CommitReport[] = [];
  for (const name of stages) {
    const plan = planStage(project, name);
    const { state, verdict } = await assessStage(session, plan);
    if (verdict.action === "fail") {
      reports.push({ stage: name, status: "failed", reason: verdict.reason });
      continue;
    }
    // Content the cache lost goes back in from the workspace (the lock already records it).
    const recache = verdict.action === "restore" ? verdict.recache : [];
    if (options.targets.length === 0 && verdict.action !== "run" && recache.length === 0) {
      reports.push({ stage: name, status: "unchanged", reason: "up to date" });
      continue;
    }
    try {
      if (options.targets.length === 0 && verdict.action !== "run") {
        await recacheOutputs(session, recache);
      } else await recordStage(session, plan, state, runId, "missing output");
      reports.push({
        stage: name,
        status: "committed",
        reason: verdict.action === "run"
          ? verdict.reason
          : recache.length > 0
          ? RECACHED
          : "up to date",
      });
    } catch (error) {
      if (!(error instanceof PivotError)) throw error;
      reports.push({ stage: name, status: "failed", reason: error.message });
    }
  }
  await ignoreCachedOutputs(
    project,
    reports.filter((r) => r.status === "committed").map((r) => r.stage),
  );
  return reports;
}
