import type { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../cli_context.ts";

/** `pivot export [STAGES] [-o dvc.yaml] [--force]`. */
export function registerExport(program: Command, ctx: CliContext): void {
  program
    .command("export")
    .description(
      "write an equivalent dvc.yaml (and params.dvc.yaml) to run the pipeline with DVC",
    )
    .argument("[stages...]", "stages to export (default: all)")
    .option("-o, --output <file>", "the dvc.yaml to write (default: dvc.yaml)")
    .option("-f, --force", "replace an existing dvc.yaml")
    .action(async (stages, options) =>
      (await import("../actions/export.ts")).exportAction(ctx, stages, options)
    );
}
