import type { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../cli_context.ts";
import { collect } from "../report_options.ts";

/** `pivot plots show [TARGETS…] [--rev REV]` and `pivot plots diff [A [B]] [-t T…]`. */
export function registerPlots(program: Command, ctx: CliContext): void {
  const plots = program
    .command("plots")
    .description("draw plot outputs into one HTML page that works offline");
  plots
    .command("show")
    .description("draw plot outputs (csv/tsv/json/jsonl with Vega-Lite, png/svg as images)")
    .argument("[targets...]", "stages or plot identities (default: every plot output)")
    .option("-a, --all", "every pipeline of the project, as one DAG")
    .option("--rev <rev>", "draw the versions committed in this git revision instead")
    .option("-o, --output <file>", "the HTML file to write (default: pivot_plots/index.html)")
    .option("--open", "open the page in a browser")
    .option("--json", "print what was drawn as JSON")
    .action(async (targets, options) =>
      (await import("../actions/plots.ts")).drawPlots(ctx, [options.rev ?? null], targets, options)
    );
  plots
    .command("diff")
    .description("draw plot outputs of two versions overlaid, one chart per plot")
    .argument("[a]", "the old version: a git revision", "HEAD")
    .argument("[b]", "the new version: a git revision (default: the workspace)")
    .option("-t, --target <identity>", "a stage or plot identity (repeatable)", collect, [])
    .option("-a, --all", "every pipeline of the project, as one DAG")
    .option("-o, --output <file>", "the HTML file to write (default: pivot_plots/index.html)")
    .option("--open", "open the page in a browser")
    .option("--json", "print what was drawn as JSON")
    .action(async (from, to, options) =>
      (await import("../actions/plots.ts")).drawPlots(
        ctx,
        [from, to ?? null],
        options.target,
        options,
      )
    );
}
