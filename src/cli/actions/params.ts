import { diffParams } from "../../ops/diff_params.ts";
import { showParams } from "../../ops/show_params.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { formatValue, parsePrecision } from "../format_value.ts";
import { printJson } from "../print_json.ts";
import { formatTable } from "../print_table.ts";
import { valueDiffAction, type ValueDiffFlags } from "../value_diff_action.ts";

/** `pivot params show`: the values as a table, Markdown or JSON. */
export async function showParamsAction(
  ctx: CliContext,
  stages: string[],
  options: { all?: true; rev?: string; precision: string; md?: true; json?: true },
): Promise<void> {
  const precision = parsePrecision(options.precision);
  await using session = await openForCommand(ctx, { all: options.all ?? false });
  const report = await showParams(session, {
    targets: stages,
    rev: options.rev ?? null,
  });
  if (options.json) return printJson(ctx, report);
  const rows = report.stages.flatMap((stage) =>
    Object.entries(stage.params).map(([key, value]) => [
      stage.stage,
      key,
      formatValue(value, precision),
    ])
  );
  if (rows.length === 0) return ctx.stdout(`no params in ${report.version.rev}\n`);
  ctx.stdout(formatTable(["Stage", "Param", "Value"], rows, { markdown: options.md ?? false }));
}

/** `pivot params diff [A] [B]`: the changes between two versions. */
export function diffParamsAction(
  ctx: CliContext,
  from: string,
  to: string | undefined,
  flags: ValueDiffFlags,
): Promise<void> {
  return valueDiffAction(ctx, from, to, flags, {
    compare: diffParams,
    noun: "param",
    heading: ["Stage", "Param"],
    owner: (change) => change.stage,
    describe: (change) => change.status,
  });
}
