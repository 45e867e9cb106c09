import type { StageStatusReport } from "../ops/stage_status.ts";
import type { CliContext } from "./cli_context.ts";
import { outputProblemLine } from "./problem_lines.ts";

/**
 * Prints one line per stage that is stale (`would run train: params changed`)
 * or per output to repair (`train:model → …: missing, restorable: …`), and a count.
 */
export function printStatusReports(
  ctx: CliContext,
  reports: readonly StageStatusReport[],
  options: { explain: boolean; verb: string },
): void {
  if (ctx.quiet()) return;
  const dryRun = options.verb === "would run";
  const lines: string[] = [];
  for (const report of reports) {
    if (!report.stale) {
      for (const problem of report.outputs) {
        lines.push(
          dryRun
            ? `would ${
              problem.status === "missing" ? "restore" : "re-cache"
            } ${problem.identity} → ${problem.path}`
            : outputProblemLine(problem),
        );
      }
      if (report.outputs.length === 0 && ctx.verbose()) lines.push(`up to date ${report.stage}`);
      continue;
    }
    lines.push(`${report.failing ? "cannot run" : options.verb} ${report.stage}: ${report.reason}`);
    if (options.explain) { for (const detail of report.details) lines.push(`    ${detail}`); }
  }
  const stale = reports.filter((r) => r.stale).length;
  const repair = reports.filter((r) => !r.stale && r.outputs.length > 0).length;
  lines.push(
    [
      ...(stale > 0 ? [`${stale} ${dryRun ? "would run" : "stale"}`] : []),
      ...(repair > 0 ? [`${repair} with missing outputs`] : []),
      `${reports.length - stale - repair} up to date`,
    ].join(", "),
  );
  ctx.stdout(`${lines.join("\n")}\n`);
}
