import type { Command } from "@commander-js/extra-typings";
import { findProjectRoot } from "../../discovery/mod.ts";
import { gcCache } from "../../ops/mod.ts";
import { loadConfig } from "../../project/mod.ts";
import { formatBytes, plural } from "../../util/format_bytes.ts";
import type { CliContext } from "../cli_context.ts";
import { printJson } from "../print_json.ts";

/** `pivot gc [--dry-run] [--force] [--json]`. */
export function registerGc(program: Command, ctx: CliContext): void {
  program
    .command("gc")
    .description("remove cache blobs that no lock file and no .pvt file in the project references")
    .option("-n, --dry-run", "only report what would be removed")
    .option("-f, --force", "collect a cache that lies outside the project (it may be shared)")
    .option("--json", "print JSON")
    .action(async (options) => {
      const root = findProjectRoot(ctx.cwd);
      const report = await gcCache(root, await loadConfig(root), {
        dryRun: options.dryRun ?? false,
        force: options.force ?? false,
      });
      if (options.json) return printJson(ctx, { ...report, dryRun: options.dryRun ?? false });
      if (ctx.quiet()) return;
      const verb = options.dryRun ? "would remove" : "removed";
      const temps = report.leftovers > 0 ? ` and ${plural(report.leftovers, "leftover file")}` : "";
      ctx.stdout(
        `${verb} ${plural(report.removed, "blob")} (${
          formatBytes(report.removedBytes)
        })${temps}; kept ${plural(report.kept, "blob")} referenced by ${
          plural(report.references, "lock or .pvt file", "lock and .pvt files")
        }\n`,
      );
    });
}
