import * as path from "node:path";
import { selectTargets } from "../../ops/select_targets.ts";
import { projectStatus } from "../../ops/stage_status.ts";
import { stampedUpToDate } from "../../ops/stamped_up_to_date.ts";
import { ReportedFailure, UsageError } from "../../util/errors.ts";
import { relativePosix } from "../../util/paths.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { printJson } from "../print_json.ts";
import { printStatusReports } from "../print_status_reports.ts";
import { trackedProblem } from "../problem_lines.ts";
import { hasRemote } from "../../ops/choose_remote.ts";

/** `pivot status`: stale stages and outputs to repair, or with `-r` what differs from a remote. */
export async function statusAction(
  ctx: CliContext,
  targets: readonly string[],
  options: {
    all?: true;
    explain?: true;
    remote?: string | true;
    index: boolean;
    json?: true;
  },
): Promise<void> {
  if (options.remote === undefined && !options.index) {
    throw new UsageError("--no-index applies only with -r/--remote");
  }
  await using session = await openForCommand(ctx, {
    all: options.all ?? false,
    pipelinesOptional: "if-none",
  });
  const { project } = session;
  if (options.remote !== undefined) {
    // The remote code loads only for -r.
    const { remoteStatus } = await import("../../ops/remote_status.ts");
    const { printRemoteStatus } = await import("../print_remote_status.ts");
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
  // Right after a run, its no-op stamp vouches for the stages: they need no assessing.
  const stamped = await stampedUpToDate(
    session,
    await selectTargets(project, targets, true),
    { all: options.all ?? false, env: ctx.env },
  );
  if (stamped !== null) ctx.stampedUpToDate?.(stamped);
  const { stages: reports, tracked, fetchHint, checkoutHint } = await projectStatus(session, {
    targets,
    ...(stamped === null ? {} : { upToDate: stamped.stages }),
  });
  const problems = tracked.flatMap((item) => {
    const shown = relativePosix(project.cwd, path.join(project.root, item.path));
    const problem = trackedProblem(item, shown, { pullable: hasRemote(project.config) });
    return problem === null ? [] : [`tracked ${item.path}: ${problem}`];
  });
  if (options.json) {
    printJson(ctx, { stages: reports, tracked });
  } else if (reports.length === 0 && tracked.length === 0) {
    if (!ctx.quiet()) {
      ctx.stdout(
        "nothing to report: no stages and no tracked data here\n" +
          "hint: write a pivot.yaml (or run 'pivot init --example --force'), or track data with 'pivot track PATH'\n",
      );
    }
  } else {
    printStatusReports(ctx, reports, { explain: options.explain ?? false, verb: "stale" });
    if (!ctx.quiet()) {
      for (const line of problems) ctx.stdout(`${line}\n`);
      if (checkoutHint !== null) ctx.stdout(`hint: ${checkoutHint}\n`);
      if (fetchHint !== null) ctx.stdout(`hint: ${fetchHint}\n`);
    }
  }
  const repair = reports.some((r) => r.stale || r.outputs.length > 0);
  if (ctx.quiet() && (repair || problems.length > 0)) throw new ReportedFailure("stale");
}
