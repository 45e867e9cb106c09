import * as path from "node:path";
import { renderPlots } from "../../ops/render_plots.ts";
import { noOutputs } from "../no_outputs.ts";
import { plural } from "../../util/format_bytes.ts";
import { relativePosix } from "../../util/paths.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { openInBrowser } from "../open_in_browser.ts";
import { printJson } from "../print_json.ts";

/**
 * `pivot plots show` and `pivot plots diff`: draws the plots of `versions`
 * (git revisions; `null` is the workspace) into one HTML page.
 */
export async function drawPlots(
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
