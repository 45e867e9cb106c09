import { type Command, Option } from "@commander-js/extra-typings";
import { diffParams, showParams } from "../../ops/mod.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { DEFAULT_PRECISION, formatValue, parsePrecision } from "../format_value.ts";
import { printJson } from "../print_json.ts";
import { formatTable } from "../print_table.ts";
import { collect, comparedLabels } from "../report_options.ts";

/** `pivot params show [STAGES…] [--rev REV]` and `pivot params diff [A [B]] [-t STAGE…]`. */
export function registerParams(program: Command, ctx: CliContext): void {
  const params = program
    .command("params")
    .description("show stages' params and compare them with git revisions");
  params
    .command("show")
    .description("each stage's effective params (after params.yaml), flattened to a.b.c keys")
    .argument("[stages...]", "stages (default: every stage with params)")
    .option("-a, --all", "every pipeline of the project, as one DAG")
    .option("--rev <rev>", "read the params recorded in this git revision's locks instead")
    .option("--precision <n>", "decimal places of fractional numbers", String(DEFAULT_PRECISION))
    .option("--md", "print a Markdown table")
    .addOption(new Option("--json", "print JSON").conflicts("md"))
    .action(async (stages, options) => {
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
    });
  params
    .command("diff")
    .description("compare params between git revisions' locks, or a revision and the workspace")
    .argument("[a]", "the old version: a git revision", "HEAD")
    .argument("[b]", "the new version: a git revision (default: the workspace)")
    .option("-t, --target <stage>", "a stage (repeatable)", collect, [])
    .option("-a, --all", "every pipeline of the project, as one DAG")
    .option("-u, --unchanged", "also list params whose value did not change")
    .option("--precision <n>", "decimal places of fractional numbers", String(DEFAULT_PRECISION))
    .option("--md", "print a Markdown table")
    .addOption(new Option("--json", "print JSON").conflicts("md"))
    .action(async (from, to, options) => {
      const precision = parsePrecision(options.precision);
      await using session = await openForCommand(ctx, { all: options.all ?? false });
      const diff = await diffParams(session, {
        from,
        to: to ?? null,
        targets: options.target,
        unchanged: options.unchanged ?? false,
      });
      if (options.json) return printJson(ctx, diff);
      if (diff.changes.length === 0) {
        return ctx.stdout(`no param changes between ${comparedLabels(diff)}\n`);
      }
      const rows = diff.changes.map((change) => [
        change.stage,
        change.key,
        formatValue(change.old, precision),
        formatValue(change.new, precision),
        change.status,
      ]);
      ctx.stdout(
        formatTable(
          ["Stage", "Param", diff.old.rev, diff.new.rev, "Change"],
          rows,
          { markdown: options.md ?? false },
        ),
      );
    });
}
