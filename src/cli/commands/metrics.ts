import { type Command, Option } from "@commander-js/extra-typings";
import { diffMetrics, showMetrics } from "../../ops/mod.ts";
import type { CliContext } from "../cli_context.ts";
import { noOutputs } from "../no_outputs.ts";
import { openForCommand } from "../open_for_command.ts";
import { DEFAULT_PRECISION, formatChange, formatValue, parsePrecision } from "../format_value.ts";
import { printJson } from "../print_json.ts";
import { formatTable } from "../print_table.ts";
import { collect, comparedLabels } from "../report_options.ts";

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
    .action(async (targets, options) => {
      const precision = parsePrecision(options.precision);
      await using session = await openForCommand(ctx, { all: options.all ?? false });
      const report = await showMetrics(session, {
        targets,
        rev: options.rev ?? null,
      });
      if (options.json) return printJson(ctx, report);
      const rows = report.metrics.flatMap((metric) =>
        Object.entries(metric.values ?? {}).map(([key, value]) => [
          `${metric.identity} → ${metric.path}`,
          key,
          formatValue(value, precision),
        ])
      );
      if (rows.length === 0) {
        return ctx.stdout(
          report.metrics.length === 0
            ? await noOutputs(session.project, "metric", options.all === true || targets.length > 0)
            : `no metric values in ${report.version.rev}\n`,
        );
      }
      ctx.stdout(formatTable(["Output", "Key", "Value"], rows, { markdown: options.md ?? false }));
    });
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
    .action(async (from, to, options) => {
      const precision = parsePrecision(options.precision);
      await using session = await openForCommand(ctx, { all: options.all ?? false });
      const diff = await diffMetrics(session, {
        from,
        to: to ?? null,
        targets: options.target,
        unchanged: options.unchanged ?? false,
      });
      if (options.json) return printJson(ctx, diff);
      if (diff.changes.length === 0) {
        return ctx.stdout(`no metric changes between ${comparedLabels(diff)}\n`);
      }
      const rows = diff.changes.map((change) => [
        `${change.identity} → ${change.path}`,
        change.key,
        formatValue(change.old, precision),
        formatValue(change.new, precision),
        change.change !== null && change.status === "modified"
          ? formatChange(change.change, change.percent, precision)
          : change.status,
      ]);
      ctx.stdout(
        formatTable(
          ["Output", "Key", diff.old.rev, diff.new.rev, "Change"],
          rows,
          { markdown: options.md ?? false },
        ),
      );
    });
}
