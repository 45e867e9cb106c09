import type { Command } from "@commander-js/extra-typings";
import { GC_GRACE_MINUTES, gcCache } from "../../ops/mod.ts";
import { UsageError } from "../../util/errors.ts";
import { formatBytes, plural } from "../../util/format_bytes.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { printJson } from "../print_json.ts";

function parseGrace(text: string): number {
  const minutes = Number(text);
  if (text.trim() === "" || !Number.isFinite(minutes) || minutes < 0) {
    throw new UsageError(`invalid --grace '${text}': expected a number of minutes, 0 or more`);
  }
  return minutes;
}

/** `pivot gc [--dry-run] [--force] [--grace MINUTES] [--json]`. */
export function registerGc(program: Command, ctx: CliContext): void {
  program
    .command("gc")
    .description("remove cache blobs that no lock file and no .pvt file in the project references")
    .option("-n, --dry-run", "only report what would be removed")
    .option("-f, --force", "collect a cache that lies outside the project (it may be shared)")
    .option(
      "--grace <minutes>",
      `keep unreferenced blobs changed in the last MINUTES (default ${GC_GRACE_MINUTES})`,
      parseGrace,
    )
    .option("--json", "print JSON")
    .action(async (options) => {
      await using session = await openForCommand(ctx, { withPipelines: false });
      const report = await gcCache(session, {
        dryRun: options.dryRun ?? false,
        force: options.force ?? false,
        graceMinutes: options.grace ?? GC_GRACE_MINUTES,
        onWait: (message) => {
          if (!ctx.quiet()) ctx.stderr(`${message}\n`);
        },
      });
      if (options.json) return printJson(ctx, { ...report, dryRun: options.dryRun ?? false });
      if (ctx.quiet()) return;
      const verb = options.dryRun ? "would remove" : "removed";
      const temps = report.leftovers > 0 ? ` and ${plural(report.leftovers, "leftover file")}` : "";
      const young = report.young > 0
        ? `, and ${plural(report.young, "unreferenced blob")} changed in the last ${
          plural(report.graceMinutes, "minute")
        } (--grace 0 removes them)`
        : "";
      ctx.stdout(
        `${verb} ${plural(report.removed, "blob")} (${
          formatBytes(report.removedBytes)
        })${temps}; kept ${plural(report.kept, "blob")} referenced by ${
          plural(report.references, "lock or .pvt file", "lock and .pvt files")
        }${young}\n`,
      );
    });
}
