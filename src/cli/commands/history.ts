import type { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../cli_context.ts";

/** `pivot history [-n N] [--json]` and `pivot show [RUN] [--json]`. */
export function registerHistory(program: Command, ctx: CliContext): void {
  program
    .command("history")
    .description("past repro/run runs, newest first, with per-status counts and durations")
    .option("-n, --limit <n>", "how many runs", "10")
    .option("--json", "print JSON")
    .action(async (options) => (await import("../actions/history.ts")).historyAction(ctx, options));
  program
    .command("show")
    .description("one run's stages with their results and timings (default: the latest run)")
    .argument("[run]", "run id, or a unique prefix of one")
    .option("--json", "print JSON")
    .action(async (runId, options) =>
      (await import("../actions/history.ts")).showAction(ctx, runId, options)
    );
}
