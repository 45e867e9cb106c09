import { type Command, Option } from "@commander-js/extra-typings";
import type { CliContext } from "../cli_context.ts";
import { DEFAULT_PRECISION } from "../format_value.ts";
import { collect } from "../report_options.ts";

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
    .action(async (stages, options) =>
      (await import("../actions/params.ts")).showParamsAction(ctx, stages, options)
    );
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
    .action(async (from, to, options) =>
      (await import("../actions/params.ts")).diffParamsAction(ctx, from, to, options)
    );
}
