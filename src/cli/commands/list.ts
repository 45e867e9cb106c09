import type { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../cli_context.ts";

/** `pivot list [--all] [--json]`. */
export function registerList(program: Command, ctx: CliContext): void {
  program
    .command("list")
    .description("list stages with their dependencies and outputs (identity → path)")
    .option("-a, --all", "every pipeline of the project, as one DAG")
    .option("--json", "print JSON")
    .action(async (options) => (await import("../actions/list.ts")).listAction(ctx, options));
}
