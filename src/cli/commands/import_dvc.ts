import type { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../cli_context.ts";

/** `pivot import-dvc [-i dvc.yaml] [-o pivot.yaml] [--dry-run] [--force]`. */
export function registerImportDvc(program: Command, ctx: CliContext): void {
  program
    .command("import-dvc")
    .description("convert a DVC pipeline (dvc.yaml, params, .dvc files) into a runnable pivot.yaml")
    .option("-i, --input <file>", "the dvc.yaml to read (default: dvc.yaml)")
    .option("-o, --output <file>", "the pivot.yaml to write (default: beside the input)")
    .option("-n, --dry-run", "print the pivot.yaml and the report; write nothing")
    .option("-f, --force", "replace an existing pivot.yaml")
    .action(async (options) =>
      (await import("../actions/import_dvc.ts")).importDvcAction(ctx, options)
    );
}
