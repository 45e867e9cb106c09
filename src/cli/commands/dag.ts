import type { Command } from "@commander-js/extra-typings";
import { dagView, renderDagView } from "../../ops/mod.ts";
import { UsageError } from "../../util/errors.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";

/** `pivot dag [TARGETS] [--all] [--dot|--mermaid|--md] [--stages]`. */
export function registerDag(program: Command, ctx: CliContext): void {
  program
    .command("dag")
    .description("show the pipeline graph: stages and artifacts, producers first")
    .argument("[targets...]", "stages to show with everything upstream (default: all)")
    .option("-a, --all", "every pipeline of the project, as one DAG")
    .option("--dot", "Graphviz dot")
    .option("--mermaid", "Mermaid flowchart")
    .option("--md", "Mermaid flowchart in a Markdown code block")
    .option("-s, --stages", "stages only, without artifacts")
    .action(async (targets, options) => {
      const formats = (["dot", "mermaid", "md"] as const).filter((f) => options[f]);
      if (formats.length > 1) {
        throw new UsageError(
          `choose one output format: ${formats.map((f) => `--${f}`).join(", ")}`,
        );
      }
      await using session = await openForCommand(ctx, { all: options.all ?? false });
      const view = await dagView(session.project, { targets, stages: options.stages ?? false });
      ctx.stdout(renderDagView(view, formats[0] ?? "text"));
    });
}
