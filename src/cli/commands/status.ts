import type { Command } from "@commander-js/extra-typings";
import { stageStatus, type StageStatusReport, trackedStatus } from "../../ops/mod.ts";
import { checkoutModes, openProject } from "../../project/mod.ts";
import { ReportedFailure } from "../../util/errors.ts";
import type { CliContext } from "../cli_context.ts";
import { printJson } from "../print_json.ts";

/** Prints one line per stage (`would run train: params changed`) and a count. */
export function printStatusReports(
  ctx: CliContext,
  reports: readonly StageStatusReport[],
  options: { explain: boolean; verb: string },
): void {
  if (ctx.quiet()) return;
  const lines: string[] = [];
  for (const report of reports) {
    if (!report.stale) {
      if (ctx.verbose()) lines.push(`up to date ${report.stage}`);
      continue;
    }
    lines.push(`${report.failing ? "cannot run" : options.verb} ${report.stage}: ${report.reason}`);
    if (options.explain) { for (const detail of report.details) lines.push(`    ${detail}`); }
  }
  const stale = reports.filter((r) => r.stale).length;
  lines.push(
    stale === 0
      ? `${reports.length} up to date`
      : `${stale} ${options.verb === "would run" ? "would run" : "stale"}, ${
        reports.length - stale
      } up to date`,
  );
  ctx.stdout(`${lines.join("\n")}\n`);
}

/** `pivot status [TARGETS] [--all] [--explain] [--json]`. */
export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command("status")
    .description("list stale stages with the reason, and tracked files that changed")
    .argument("[targets...]", "stages or identities (default: every stage)")
    .option("-a, --all", "every pipeline of the project, as one DAG")
    .option("-e, --explain", "show what changed for each stale stage")
    .option("--json", "print JSON")
    .action(async (targets, options) => {
      const project = await openProject({ cwd: ctx.cwd, all: options.all ?? false });
      project.warnings.forEach(ctx.warn);
      const reports = await stageStatus(project, {
        targets,
        warn: ctx.warn,
        modes: checkoutModes(project.config),
      });
      const tracked = targets.length === 0 ? await trackedStatus(project, ctx.warn) : [];
      const changed = tracked.filter((t) => t.status !== "unchanged");
      if (options.json) {
        printJson(ctx, { stages: reports, tracked });
      } else {
        printStatusReports(ctx, reports, { explain: options.explain ?? false, verb: "stale" });
        if (!ctx.quiet()) {
          for (const item of changed) ctx.stdout(`tracked ${item.path}: ${item.status}\n`);
        }
      }
      if (ctx.quiet() && (reports.some((r) => r.stale) || changed.length > 0)) {
        throw new ReportedFailure("stale");
      }
    });
}
