import type { Command } from "@commander-js/extra-typings";
import { importDvc, type ReportItem } from "../../ops/mod.ts";
import { plural } from "../../util/format_bytes.ts";
import { shellQuote } from "../../util/shell_quote.ts";
import type { CliContext } from "../cli_context.ts";

const LABELS: Record<ReportItem["level"], string> = {
  error: "not converted",
  warning: "changed",
  info: "note",
};

/** The report, one item per entry: label, stage, DVC text and what happened, then what to do. */
export function renderReport(items: readonly ReportItem[]): string {
  if (items.length === 0) return "";
  const lines = [`report (${plural(items.length, "item")}):`];
  for (const item of items) {
    const where = item.stage === null ? "" : `stage '${item.stage}': `;
    lines.push(`  ${LABELS[item.level].padEnd(13)}  ${where}${item.dvc}: ${item.message}`);
    if (item.fix !== null) lines.push(`  ${"".padEnd(13)}  to do: ${item.fix}`);
  }
  return `${lines.join("\n")}\n`;
}

/** `pivot import-dvc [-i dvc.yaml] [-o pivot.yaml] [--dry-run] [--force]`. */
export function registerImportDvc(program: Command, ctx: CliContext): void {
  program
    .command("import-dvc")
    .description("convert a DVC pipeline (dvc.yaml, params, .dvc files) into a runnable pivot.yaml")
    .option("-i, --input <file>", "the dvc.yaml to read (default: dvc.yaml)")
    .option("-o, --output <file>", "the pivot.yaml to write (default: beside the input)")
    .option("-n, --dry-run", "print the pivot.yaml and the report; write nothing")
    .option("-f, --force", "replace an existing pivot.yaml")
    .action(async (options) => {
      const result = await importDvc(ctx.cwd, {
        ...(options.input === undefined ? {} : { input: options.input }),
        ...(options.output === undefined ? {} : { output: options.output }),
        dryRun: options.dryRun ?? false,
        force: options.force ?? false,
        warn: ctx.warn,
      });
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
    });
}
