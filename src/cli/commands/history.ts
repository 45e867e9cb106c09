import type { Command } from "@commander-js/extra-typings";
import * as path from "node:path";
import { findProjectRoot } from "../../discovery/mod.ts";
import { pickRun, RUN_MATCHES_SHOWN } from "../../ops/run_record.ts";
import { StateDbs } from "../../storage/mod.ts";
import { PivotError, UsageError } from "../../util/errors.ts";
import type { CliContext } from "../cli_context.ts";
import { printJson } from "../print_json.ts";

interface RunRecord {
  run_id: string;
  command: string;
  started_at: string;
  ended_at: string;
  targets: string[];
  stages: Record<
    string,
    { status: string; reason: string; duration_ms: number; log_tail: string[] }
  >;
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

async function withHistory<T>(
  ctx: CliContext,
  work: (dbs: StateDbs, stateDir: string) => Promise<T>,
): Promise<T> {
  const root = findProjectRoot(ctx.cwd);
  const dbs = new StateDbs(ctx.warn);
  try {
    return await work(dbs, path.join(root, ".pivot"));
  } finally {
    await dbs.close();
  }
}

/** `pivot history [-n N] [--json]` and `pivot show [RUN] [--json]`. */
export function registerHistory(program: Command, ctx: CliContext): void {
  program
    .command("history")
    .description("past repro/run runs, newest first, with per-status counts and durations")
    .option("-n, --limit <n>", "how many runs", "10")
    .option("--json", "print JSON")
    .action(async (options) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1) {
        throw new UsageError(
          `invalid -n/--limit '${options.limit}': expected a whole number of at least 1`,
        );
      }
      const runs = await withHistory(
        ctx,
        async (dbs, dir) =>
          (await dbs.get(dir)).listRuns(limit).map((row) => JSON.parse(row.data) as RunRecord),
      );
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
    });
  program
    .command("show")
    .description("one run's stages with their results and timings (default: the latest run)")
    .argument("[run]", "run id, or a unique prefix of one")
    .option("--json", "print JSON")
    .action(async (runId, options) => {
      const run = await withHistory(ctx, async (dbs, dir) => {
        const db = await dbs.get(dir);
        const row = runId === undefined
          ? db.listRuns(1)[0] ?? null
          : pickRun(runId, db.findRuns(runId, RUN_MATCHES_SHOWN + 1));
        return row === null ? null : JSON.parse(row.data) as RunRecord;
      });
      if (run === null) {
        throw new PivotError("no runs recorded yet", {
          hint: "'pivot history' lists the recorded runs",
        });
      }
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
        lines.push(
          `${icons[stage.status] ?? "?"} ${name}  ${stage.status}${
            stage.status === "skipped" ? "" : `: ${stage.reason}`
          }  ${formatDuration(stage.duration_ms)}`,
        );
        if (stage.status === "failed") {
          for (const line of stage.log_tail.slice(-10)) lines.push(`    ${line}`);
        }
      }
      ctx.stdout(`${lines.join("\n")}\n`);
    });
}
