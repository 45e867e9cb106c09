import type { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../cli_context.ts";

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
    .action(async (targets, options) =>
      (await import("../actions/dag.ts")).dagAction(ctx, targets, options)
    );
}
