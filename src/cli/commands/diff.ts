import { type Command, Option } from "@commander-js/extra-typings";
import { DEFAULT_MAX_ROWS } from "../../ops/option_values.ts";
import { UsageError } from "../../util/errors.ts";
import type { CliContext } from "../cli_context.ts";

function parseCount(option: string): (text: string) => number {
  return (text) => {
    if (!/^\d+$/.test(text)) {
      throw new UsageError(`invalid ${option} '${text}': expected a whole number, 0 or more`);
    }
    return Number(text);
  };
}

/** `pivot diff TARGET [A [B]] [--key COLS] [--max-rows N] [--md|--json]`. */
export function registerDiff(program: Command, ctx: CliContext): void {
  program
    .command("diff")
    .description("compare a csv/tsv/json/jsonl output or tracked file between versions, row by row")
    .argument("<target>", "a stage output (identity) or a tracked path")
    .argument("[a]", "the old version: a git revision", "HEAD")
    .argument("[b]", "the new version: a git revision (default: the workspace)")
    .option(
      "-k, --key <columns>",
      "match rows by these columns (comma-separated) instead of by position",
    )
    .option(
      "--max-rows <n>",
      `rows listed per kind of change (default ${DEFAULT_MAX_ROWS}; counts are complete)`,
      parseCount("--max-rows"),
    )
    .option("-r, --remote <name>", "the remote to fetch a revision's content from")
    .option("-a, --all", "every pipeline of the project, as one DAG")
    .option("--exit-code", "exit 1 when the versions differ")
    .option("--md", "print Markdown")
    .addOption(new Option("--json", "print JSON").conflicts("md"))
    .addOption(
      new Option("--partition-size <bytes>", "bytes per partition when matching by key")
        .argParser(parseCount("--partition-size")).hideHelp(),
    )
    .action(async (target, from, to, options) =>
      (await import("../actions/diff.ts")).diffAction(ctx, target, from, to, options)
    );
}
