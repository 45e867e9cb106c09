import type { Command } from "@commander-js/extra-typings";
import * as path from "node:path";
import { projectStatus, remoteStatus, type StageStatusReport } from "../../ops/mod.ts";
import { ReportedFailure, UsageError } from "../../util/errors.ts";
import { relativePosix } from "../../util/paths.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { printJson } from "../print_json.ts";
import { printRemoteStatus } from "../print_remote_status.ts";
import { outputProblemLine, trackedProblem } from "../problem_lines.ts";

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

/** `pivot status [TARGETS] [--all] [--explain] [-r [NAME] [--no-index]] [--json]`. */
export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command("status")
    .description("list stale stages with the reason, and tracked files that changed")
    .argument("[targets...]", "stages or identities (default: every stage)")
    .option("-a, --all", "every pipeline of the project, as one DAG")
    .option("-e, --explain", "show what changed for each stale stage")
    .option(
      "-r, --remote [name]",
      "instead: which cached outputs and tracked paths are only local, only on the remote (default: default_remote, else the only one) or in neither; targets as for push (put them before -r)",
    )
    .option("--no-index", "with -r: ask the remote about every blob, ignoring the remote index")
    .option("--json", "print JSON")
    .action(async (targets, options) => {
      if (options.remote === undefined && !options.index) {
        throw new UsageError("--no-index applies only with -r/--remote");
      }
      await using session = await openForCommand(ctx, {
        all: options.all ?? false,
        pipelinesOptional: true,
      });
      const { project } = session;
      if (options.remote !== undefined) {
        const report = await remoteStatus(session, {
          targets,
          remote: options.remote === true ? undefined : options.remote,
          useIndex: options.index,
        });
        if (printRemoteStatus(ctx, report, options.json ?? false)) {
          throw new ReportedFailure("targets not covered");
        }
        const differs = report.items.some((item) => item.status !== "in_sync");
        if (ctx.quiet() && differs) throw new ReportedFailure("not in sync");
        return;
      }
      const { stages: reports, tracked, fetchHint } = await projectStatus(session, { targets });
      const problems = tracked.flatMap((item) => {
        const shown = relativePosix(project.cwd, path.join(project.root, item.path));
        const problem = trackedProblem(item, shown);
        return problem === null ? [] : [`tracked ${item.path}: ${problem}`];
      });
      if (options.json) {
        printJson(ctx, { stages: reports, tracked });
      } else {
        printStatusReports(ctx, reports, { explain: options.explain ?? false, verb: "stale" });
        if (!ctx.quiet()) {
          for (const line of problems) ctx.stdout(`${line}\n`);
          if (fetchHint !== null) ctx.stdout(`hint: ${fetchHint}\n`);
        }
      }
      const repair = reports.some((r) => r.stale || r.outputs.length > 0);
      if (ctx.quiet() && (repair || problems.length > 0)) throw new ReportedFailure("stale");
    });
}
