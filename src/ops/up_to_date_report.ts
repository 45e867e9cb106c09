/**
 * The status report of a stage that is not stale: what `pivot status`
 * prints for it, the full way (`stage_status.ts`) and from a run's stamp
 * (`cli/fast_status.ts`, which must not load the assessment code).
 *
 * @module
 */
import type { OutputProblem, StageStatusReport } from "./stage_status.ts";

/** The report of `stage`, not stale, for `reason`, with `outputs` to repair. */
export function upToDateReport(
  stage: string,
  reason = "up to date",
  outputs: readonly OutputProblem[] = [],
): StageStatusReport {
  const details = outputs.map((o) => `${o.identity} → ${o.path}`);
  return { stage, stale: false, reason, details, failing: false, outputs };
}
