import { type Command, Option } from "@commander-js/extra-typings";
import type { CliContext } from "../cli_context.ts";
import { DEFAULT_PRECISION } from "../format_value.ts";
import { collect } from "../report_options.ts";

/** `pivot metrics show [TARGETS…] [--rev REV]` and `pivot metrics diff [A [B]] [-t T…]`. */
export function registerMetrics(program: Command, ctx: CliContext): void {
  const metrics = program
    .command("metrics")
    .description("show metric outputs and compare them with git revisions");
  metrics
    .command("show")
    .description("the values of metric outputs, flattened to a.b.c keys")
    .argument("[targets...]", "stages or metric identities (default: every metric output)")
    .option("-a, --all", "every pipeline of the project, as one DAG")
    .option("--rev <rev>", "read the values committed in this git revision instead")
    .option("--precision <n>", "decimal places of fractional numbers", String(DEFAULT_PRECISION))
    .option("--md", "print a Markdown table")
    .addOption(new Option("--json", "print JSON").conflicts("md"))
    .action(async (targets, options) =>
      (await import("../actions/metrics.ts")).showMetricsAction(ctx, targets, options)
    );
  metrics
    .command("diff")
    .description("compare metric outputs between git revisions, or a revision and the workspace")
    .argument("[a]", "the old version: a git revision", "HEAD")
    .argument("[b]", "the new version: a git revision (default: the workspace)")
    .option("-t, --target <identity>", "a stage or metric identity (repeatable)", collect, [])
    .option("-a, --all", "every pipeline of the project, as one DAG")
    .option("-u, --unchanged", "also list keys whose value did not change")
    .option("--precision <n>", "decimal places of fractional numbers", String(DEFAULT_PRECISION))
    .option("--md", "print a Markdown table")
    .addOption(new Option("--json", "print JSON").conflicts("md"))
    .action(async (from, to, options) =>
      (await import("../actions/metrics.ts")).diffMetricsAction(ctx, from, to, options)
    );
}
