import type { Command } from "@commander-js/extra-typings";
import { exportDvc } from "../../ops/mod.ts";
import { plural } from "../../util/format_bytes.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { renderReport } from "./import_dvc.ts";

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
    .action(async (stages, options) => {
      await using session = await openForCommand(ctx);
      const result = await exportDvc(session.project, {
        stages,
        ...(options.output === undefined ? {} : { output: options.output }),
        force: options.force ?? false,
      });
      if (ctx.quiet()) return;
      const lines = [`wrote ${result.output}: ${plural(result.stages, "stage")}`];
      if (result.paramsFile !== null) {
        lines.push(`wrote the stages' parameters to ${result.paramsFile}`);
      }
      ctx.stdout(`${lines.join("\n")}\n${renderReport(result.report)}`);
    });
}
