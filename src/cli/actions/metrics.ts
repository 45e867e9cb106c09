import { diffMetrics } from "../../ops/diff_metrics.ts";
import { showMetrics } from "../../ops/show_metrics.ts";
import type { CliContext } from "../cli_context.ts";
import { noOutputs } from "../no_outputs.ts";
import { openForCommand } from "../open_for_command.ts";
import { formatChange, formatValue, parsePrecision } from "../format_value.ts";
import { printJson } from "../print_json.ts";
import { formatTable } from "../print_table.ts";
import { comparedLabels } from "../report_options.ts";

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
export async function diffMetricsAction(
  ctx: CliContext,
  from: string,
  to: string | undefined,
  options: {
    target: string[];
    all?: true;
    unchanged?: true;
    precision: string;
    md?: true;
    json?: true;
  },
): Promise<void> {
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
}
