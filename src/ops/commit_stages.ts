import { assessStage, EngineContext, newRunId, planStage, recordStage } from "../engine/mod.ts";
import type { Project } from "../project/mod.ts";
import type { CheckoutMode } from "../storage/mod.ts";
import { PivotError } from "../util/errors.ts";
import { holdCacheForWriting } from "./_cache_guard.ts";
import { ignoreCachedOutputs } from "./ignore_outputs.ts";
import { selectTargets } from "./select_targets.ts";

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
  project: Project,
  options: {
    targets: readonly string[];
    modes: readonly CheckoutMode[];
    warn: (m: string) => void;
  },
): Promise<CommitReport[]> {
  const stages = await selectTargets(project, options.targets, false);
  using _cache = await holdCacheForWriting(project.root, { warn: options.warn });
  const ctx = new EngineContext(project, options.modes, options.warn);
  const runId = newRunId();
  const reports: CommitReport[] = [];
  try {
    for (const name of stages) {
      const plan = planStage(project, name);
      const { state, verdict } = await assessStage(ctx, plan);
      if (verdict.action === "fail") {
        reports.push({ stage: name, status: "failed", reason: verdict.reason });
        continue;
      }
      if (options.targets.length === 0 && verdict.action !== "run") {
        reports.push({ stage: name, status: "unchanged", reason: "up to date" });
        continue;
      }
      try {
        await recordStage(ctx, plan, state, runId, "missing output");
        reports.push({
          stage: name,
          status: "committed",
          reason: verdict.action === "run" ? verdict.reason : "up to date",
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
  } finally {
    await ctx.close();
  }
}
