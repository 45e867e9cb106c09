/**
 * After a run that ran or restored stages: looking at every stage once more,
 * as the next no-op would, so that the run can leave the no-op stamp itself
 * and the very next command is answered from it.
 *
 * @module
 */
import { assessStage, planStage, type StageCompleteEvent } from "../engine/mod.ts";
import type { Session } from "../session/mod.ts";
import { FINE_RACY_WINDOW_MS } from "../storage/racy_window.ts";
import { PivotError } from "../util/errors.ts";
import { checkTrackedInputs } from "./check_tracked_inputs.ts";

/** What a confirmation found: the completions a no-op reports, and when it started reading. */
export interface Confirmed {
  readonly completions: readonly StageCompleteEvent[];
  /** When the confirmation started reading the project (ms since the epoch). */
  readonly sinceMs: number;
}

/**
 * Waits until the racy window of file systems with fine times has passed
 * since the run's last write (`writtenMs`), then checks the tracked inputs
 * and assesses every stage of `stages` again, as a no-op `repro` would. The
 * stamp taken afterwards holds only signatures taken outside the racy window
 * of that moment, so a file changed during the run, or in the window, keeps
 * it from being written (on a file system with whole-second times, every
 * file the run wrote does: no stamp until a later no-op).
 *
 * @returns the completions of a no-op run and when the reading started, or
 *   `null` when a stage is not up to date, a tracked input does not match,
 *   or anything was warned about
 */
export async function confirmUpToDate(
  session: Session,
  stages: readonly string[],
  writtenMs: number,
): Promise<Confirmed | null> {
  const wait = writtenMs + FINE_RACY_WINDOW_MS + 1 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  const sinceMs = Date.now();
  const warnings = session.warnings;
  try {
    await checkTrackedInputs(session, stages);
  } catch (error) {
    if (error instanceof PivotError) return null;
    throw error;
  }
  const completions: StageCompleteEvent[] = [];
  for (const [i, name] of stages.entries()) {
    const { verdict } = await assessStage(session, planStage(session.project, name));
    if (verdict.action !== "skip") return null;
    completions.push({
      type: "stage_complete",
      stage: name,
      index: i + 1,
      total: stages.length,
      status: "skipped",
      reason: "up to date",
      details: [],
      duration_ms: 0,
    });
  }
  return session.warnings === warnings ? { completions, sinceMs } : null;
}
