import { findRun, listRuns } from "../../ops/history.ts";
import { UsageError } from "../../util/errors.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { printJson } from "../print_json.ts";

function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

/** `pivot history`: the latest runs, newest first, with per-status counts. */
export async function historyAction(
  ctx: CliContext,
  options: { limit: string; json?: true },
): Promise<void> {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    throw new UsageError(
      `invalid -n/--limit '${options.limit}': expected a whole number of at least 1`,
    );
  }
  await using session = await openForCommand(ctx, { withPipelines: false });
  const runs = await listRuns(session, limit);
  if (options.json) return printJson(ctx, runs);
  if (ctx.quiet()) return;
  if (runs.length === 0) return ctx.stdout("no runs recorded yet\n");
  const lines = [
    "run id                     command  ran  up-to-date  restored  failed  blocked  duration",
  ];
  for (const run of runs) {
    const stages = Object.values(run.stages);
    const count = (status: string) => String(stages.filter((s) => s.status === status).length);
    const duration = Date.parse(run.ended_at) - Date.parse(run.started_at);
    lines.push(
      `${run.run_id.padEnd(26)} ${run.command.padEnd(8)} ${count("ran").padStart(3)}  ${
        count("skipped").padStart(10)
      }  ${count("restored").padStart(8)}  ${count("failed").padStart(6)}  ${
        count("blocked").padStart(7)
      }  ${formatDuration(duration)}`,
    );
  }
  ctx.stdout(`${lines.join("\n")}\n`);
}

/** `pivot show [RUN]`: one run's stages with their results and timings. */
export async function showAction(
  ctx: CliContext,
  runId: string | undefined,
  options: { json?: true },
): Promise<void> {
  await using session = await openForCommand(ctx, { withPipelines: false });
  const run = await findRun(session, runId);
  if (options.json) return printJson(ctx, run);
  if (ctx.quiet()) return;
  const icons: Record<string, string> = {
    ran: "✓",
    skipped: "•",
    restored: "↺",
    failed: "✗",
    blocked: "-",
  };
  const lines = [
    `run      ${run.run_id} (${run.command})`,
    `started  ${run.started_at}`,
    `ended    ${run.ended_at}`,
    `targets  ${run.targets.join(", ")}`,
    "",
  ];
  for (const [name, stage] of Object.entries(run.stages)) {
    // As repro says it: a stage it found up to date (recorded as `skipped`).
    lines.push(
      `${icons[stage.status] ?? "?"} ${name}  ${
        stage.status === "skipped" ? "up to date" : `${stage.status}: ${stage.reason}`
      }  ${formatDuration(stage.duration_ms)}`,
    );
    if (stage.status === "failed") {
      for (const line of stage.log_tail.slice(-10)) lines.push(`    ${line}`);
    }
  }
  ctx.stdout(`${lines.join("\n")}\n`);
}
