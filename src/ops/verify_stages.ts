import { stageOutputs } from "../project/mod.ts";
import type { Session } from "../session/mod.ts";
import { PivotError } from "../util/errors.ts";
import { selectTargets } from "./select_targets.ts";
import { type OutputProblem, stageStatus } from "./stage_status.ts";
import { type TrackedState, trackedStatus } from "./tracked_status.ts";

/** One stage's verification. */
export interface VerifyReport {
  readonly stage: string;
  readonly passed: boolean;
  /**
   * Why it failed (`params changed`, `missing from the workspace: …`,
   * `content missing from the cache: …`), or `""`.
   */
  readonly reason: string;
  /** Identities of cached outputs whose content is not in the local cache. */
  readonly missing: readonly string[];
  /** Outputs of an otherwise up-to-date stage that need a repair, with the command for each. */
  readonly outputs: readonly OutputProblem[];
}

/** What {@linkcode verifyStages} found. */
export interface VerifyResult {
  readonly stages: readonly VerifyReport[];
  /**
   * The tracked paths checked (every one of the project without targets,
   * else those the selected stages read), each passing only when unchanged
   * and its content is in the local cache.
   */
  readonly tracked: readonly TrackedState[];
}

/**
 * Checks that every selected stage (and its upstream) is up to date with its
 * outputs in the workspace and their content in the local cache, and that
 * tracked paths match their `.pvt` with their content in the local cache.
 */
export async function verifyStages(
  session: Session,
  options: { targets: readonly string[] },
): Promise<VerifyResult> {
  // Compared once: the stages' reports take their tracked inputs from these.
  const selected = await selectTargets(session.project, options.targets, true);
  const tracked = await trackedStatus(
    session,
    options.targets.length === 0 ? {} : { stages: selected },
  );
  const statuses = await stageStatus(session, { targets: options.targets, tracked });
  const stages = statuses.map((status): VerifyReport => {
    if (status.stale) {
      return {
        stage: status.stage,
        passed: false,
        reason: status.reason,
        missing: [],
        outputs: [],
      };
    }
    const problems = (kind: OutputProblem["status"]) =>
      status.outputs.filter((o) => o.status === kind);
    // The lines under the stage show each as identity → path, with its fix.
    const shown = (outs: readonly OutputProblem[]) => outs.map((o) => o.identity).join(", ");
    // Outputs behind a symlink out of the project are what repro and checkout refuse.
    const outside = outsideProject(session, status.stage);
    if (outside !== null) {
      return { stage: status.stage, passed: false, reason: outside, missing: [], outputs: [] };
    }
    const absent = problems("missing");
    const uncached = problems("uncached");
    const reason = [
      ...(absent.length > 0 ? [`missing from the workspace: ${shown(absent)}`] : []),
      ...(uncached.length > 0 ? [`content missing from the cache: ${shown(uncached)}`] : []),
    ].join("; ");
    return {
      stage: status.stage,
      passed: status.outputs.length === 0,
      reason,
      missing: uncached.map((o) => o.identity),
      outputs: status.outputs,
    };
  });
  return { stages, tracked };
}

/**
 * The refusal of the first output of `stage` that leads out of the project
 * through a symlink (a symlinked `data/<pipeline>`), or `null`. A symlink
 * into the cache is a checkout.
 */
export function outsideProject(session: Session, stage: string): string | null {
  const { project } = session;
  for (const out of stageOutputs(project.store, project.dag.stages.get(stage)!)) {
    try {
      session.paths.assertInside(out.path, "cannot verify output", session.cache.dir);
    } catch (error) {
      if (error instanceof PivotError) return error.message;
      throw error;
    }
  }
  return null;
}

/**
 * True when a tracked path passes verification: unchanged, with its content
 * cached; with `allowMissing` (`verify --allow-missing`), also absent, and
 * its content in the cache or on the remote.
 */
export function trackedPasses(state: TrackedState, allowMissing = false): boolean {
  if (!allowMissing) return state.status === "unchanged" && state.cached;
  return (state.status === "unchanged" || state.status === "missing") &&
    (state.cached || state.onRemote === true);
}
