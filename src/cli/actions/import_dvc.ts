import { importDvc } from "../../ops/import_dvc.ts";
import { plural } from "../../util/format_bytes.ts";
import { shellQuote } from "../../util/shell_quote.ts";
import type { CliContext } from "../cli_context.ts";
import { renderReport } from "../render_report.ts";
import { untilStopped } from "../stop_signals.ts";

/** `pivot import-dvc`: writes a `pivot.yaml` from a `dvc.yaml`. */
export async function importDvcAction(
  ctx: CliContext,
  options: { input?: string; output?: string; dryRun?: true; force?: true },
): Promise<void> {
  const result = await untilStopped(ctx, "the import", (signal) =>
    importDvc(ctx.cwd, {
      ...(options.input === undefined ? {} : { input: options.input }),
      ...(options.output === undefined ? {} : { output: options.output }),
      dryRun: options.dryRun ?? false,
      force: options.force ?? false,
      warn: ctx.warn,
      signal,
    }));
  const stages = plural(result.stages, "stage");
  if (options.dryRun) {
    ctx.stdout(result.yaml);
    const lines = [`would write ${result.output}: ${stages} from ${result.input}`];
    for (const data of result.wouldTrack) lines.push(`would track ${data}`);
    ctx.stderr(`${lines.join("\n")}\n${renderReport(result.report)}`);
    return;
  }
  if (ctx.quiet()) return;
  const lines = [`wrote ${result.output}: ${stages} from ${result.input}`];
  if (result.configChanged !== null) {
    lines.push(`set params.overrides: none in ${result.configChanged}`);
  }
  for (const tracked of result.tracked) lines.push(`tracked ${tracked.path} → ${tracked.pvt}`);
  const toAdd = [
    result.output,
    ...(result.configChanged === null ? [] : [result.configChanged]),
    ...result.tracked.flatMap((t) => t.gitignore === null ? [t.pvt] : [t.pvt, t.gitignore]),
  ];
  ctx.stdout(`${lines.join("\n")}\n${renderReport(result.report)}`);
  ctx.stdout(`hint: run 'pivot repro', then git add ${toAdd.map(shellQuote).join(" ")}\n`);
}
