import type { Command } from "@commander-js/extra-typings";
import { GC_GRACE_MINUTES } from "../../ops/option_values.ts";
import { UsageError } from "../../util/errors.ts";
import type { CliContext } from "../cli_context.ts";
import { collect } from "../report_options.ts";

function parseGrace(text: string): number {
  const minutes = Number(text);
  if (text.trim() === "" || !Number.isFinite(minutes) || minutes < 0) {
    throw new UsageError(`invalid --grace '${text}': expected a number of minutes, 0 or more`);
  }
  return minutes;
}

function parseJobs(text: string): number {
  if (!/^[1-9]\d*$/.test(text)) {
    throw new UsageError(`invalid --jobs '${text}': expected a whole number of at least 1`);
  }
  return Number(text);
}

/**
 * `pivot gc [--dry-run] [--force] [--grace MINUTES] [--rev REV…] [--all-commits]
 * [--all-branches] [--all-tags] [--cloud [-r NAME] --yes-delete-remote] [--json]`.
 */
export function registerGc(program: Command, ctx: CliContext): void {
  program
    .command("gc")
    .description(
      "remove cache blobs that no lock file and no .pvt file references (in the workspace or chosen git revisions)",
    )
    .option("-n, --dry-run", "only report what would be removed")
    .option("-f, --force", "collect a cache that lies outside the project (it may be shared)")
    .option(
      "--grace <minutes>",
      `keep unreferenced blobs changed (with --cloud: pushed) in the last MINUTES (default ${GC_GRACE_MINUTES})`,
      parseGrace,
    )
    .option("--rev <rev>", "also keep what this git revision references (repeatable)", collect, [])
    .option("--all-commits", "also keep what every commit references")
    .option("--all-branches", "also keep what the tip of every local branch references")
    .option("--all-tags", "also keep what every tag references")
    .option("-c, --cloud", "also remove unreferenced blobs from the remote")
    .option("-r, --remote <name>", "the remote for --cloud (default: the default remote)")
    .option("-j, --jobs <n>", "deletions at once on the remote", parseJobs)
    .option("--yes-delete-remote", "confirm that --cloud deletes from the remote for good")
    .option("--json", "print JSON")
    .action(async (options) => (await import("../actions/gc.ts")).gcAction(ctx, options));
}
