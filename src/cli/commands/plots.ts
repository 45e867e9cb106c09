import type { Command } from "@commander-js/extra-typings";
import * as path from "node:path";
import { renderPlots } from "../../ops/mod.ts";
import { noOutputs } from "../no_outputs.ts";
import { plural } from "../../util/format_bytes.ts";
import { relativePosix } from "../../util/paths.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { openInBrowser } from "../open_in_browser.ts";
import { printJson } from "../print_json.ts";
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
    .action(async (targets, options) => {
      await drawPlots(ctx, [options.rev ?? null], targets, options);
    });
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
    .action(async (from, to, options) => {
      await drawPlots(ctx, [from, to ?? null], options.target, options);
    });
}

async function drawPlots(
  ctx: CliContext,
  versions: (string | null)[],
  targets: readonly string[],
  options: { all?: true; output?: string; open?: true; json?: true },
): Promise<void> {
  await using session = await openForCommand(ctx, { all: options.all ?? false });
  const report = await renderPlots(session, {
    versions,
    targets,
    ...(options.output === undefined ? {} : { output: path.resolve(ctx.cwd, options.output) }),
  });
  if (options.json) printJson(ctx, report);
  else if (report.file === null) {
    ctx.stdout(
      report.missing.length === 0
        ? await noOutputs(session.project, "plot", options.all === true || targets.length > 0)
        : "no plots to draw\n",
    );
  } else if (!ctx.quiet()) {
    ctx.stdout(
      `wrote ${plural(report.plots.length, "plot")} to ${relativePosix(ctx.cwd, report.file)}\n`,
    );
  }
  if (options.open && report.file !== null) {
    const problem = await openInBrowser(report.file);
    if (problem !== null) ctx.warn(problem);
  }
}
