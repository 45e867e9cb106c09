import { diffMetrics } from "../../ops/diff_metrics.ts";
import { showMetrics } from "../../ops/show_metrics.ts";
import type { CliContext } from "../cli_context.ts";
import { noOutputs } from "../no_outputs.ts";
import { openForCommand } from "../open_for_command.ts";
import { formatChange, formatValue, parsePrecision } from "../format_value.ts";
import { printJson } from "../print_json.ts";
import { formatTable } from "../print_table.ts";
import { valueDiffAction, type ValueDiffFlags } from "../value_diff_action.ts";

/** `pivot metrics show`: the values as a table, Markdown or JSON. */
export async function showMetricsAction(
  ctx: CliContext,
  targets: string[],
  options: { all?: true; rev?: string; precision: string; md?: true; json?: true },
): Promise<void> {
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
}

/** `pivot metrics diff [A] [B]`: the changes between two versions. */
export function diffMetricsAction(
  ctx: CliContext,
  from: string,
  to: string | undefined,
  flags: ValueDiffFlags,
): Promise<void> {
  return valueDiffAction(ctx, from, to, flags, {
    compare: diffMetrics,
    noun: "metric",
    heading: ["Output", "Key"],
    owner: (change) => `${change.identity} → ${change.path}`,
    describe: (change, precision) =>
      change.change !== null && change.status === "modified"
        ? formatChange(change.change, change.percent, precision)
        : change.status,
  });
}
