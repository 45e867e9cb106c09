import { GC_GRACE_MINUTES } from "../../ops/option_values.ts";
import { gcCache } from "../../ops/gc_cache.ts";
import { PivotError, UsageError } from "../../util/errors.ts";
import { formatBytes, plural } from "../../util/format_bytes.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { printJson } from "../print_json.ts";
import { untilStopped } from "../stop_signals.ts";

/** `pivot gc`: removes unreferenced cache blobs (with `--cloud` from the remote too). */
export async function gcAction(
  ctx: CliContext,
  options: {
    dryRun?: true;
    force?: true;
    grace?: number;
    rev: string[];
    allCommits?: true;
    allBranches?: true;
    allTags?: true;
    cloud?: true;
    remote?: string;
    jobs?: number;
    yesDeleteRemote?: true;
    json?: true;
  },
): Promise<void> {
  const cloud = options.cloud ?? false;
  if (!cloud && (options.remote !== undefined || options.jobs !== undefined)) {
    throw new UsageError("-r/--remote and -j/--jobs go with --cloud");
  }
  if (cloud && !options.dryRun && !options.yesDeleteRemote) {
    throw new UsageError(
      "gc --cloud deletes blobs from the remote for good: pass --yes-delete-remote to confirm",
      {
        hint:
          "run 'pivot gc --cloud --dry-run' first; only what this clone's workspace and the revisions you name reference is kept, so fetch your team's branches and add --all-branches --all-tags (or --all-commits)",
      },
    );
  }
  const report = await untilStopped(ctx, "the collection", async (signal) => {
    await using session = await openForCommand(ctx, { withPipelines: false });
    return await gcCache(session, {
      signal,
      dryRun: options.dryRun ?? false,
      force: options.force ?? false,
      graceMinutes: options.grace ?? GC_GRACE_MINUTES,
      onWait: (message) => {
        if (!ctx.quiet()) ctx.stderr(`${message}\n`);
      },
      revisions: {
        revs: options.rev,
        allCommits: options.allCommits ?? false,
        allBranches: options.allBranches ?? false,
        allTags: options.allTags ?? false,
      },
      cloud: cloud ? { remote: options.remote, jobs: options.jobs } : null,
    });
  });
  const failed = report.cloud?.failed ?? [];
  if (options.json) printJson(ctx, { ...report, dryRun: options.dryRun ?? false });
  else if (!ctx.quiet()) {
    const verb = options.dryRun ? "would remove" : "removed";
    const temps = report.leftovers > 0 ? ` and ${plural(report.leftovers, "leftover file")}` : "";
    const history = report.revisions === null
      ? ""
      : `, and by ${
        plural(report.revisions.files, "lock or .pvt file", "lock and .pvt files")
      } in ${plural(report.revisions.commits, "git commit")}`;
    const young = youngBlobs(report.young, "changed", report.graceMinutes);
    ctx.stdout(
      `${verb} ${plural(report.removed, "blob")} (${
        formatBytes(report.removedBytes)
      })${temps}; kept ${plural(report.kept, "blob")} referenced by ${
        plural(report.references, "lock or .pvt file", "lock and .pvt files")
      }${history}${young}\n`,
    );
    if (report.cloud !== null) {
      ctx.stdout(
        `${verb} ${plural(report.cloud.removed, "blob")} (${
          formatBytes(report.cloud.removedBytes)
        }) from remote '${report.cloud.remote}' (${report.cloud.url}); kept ${
          plural(report.cloud.kept, "blob")
        }${youngBlobs(report.cloud.young, "pushed", report.graceMinutes)}\n`,
      );
    }
  }
  for (const failure of failed) {
    ctx.stderr(`failed to remove ${failure.label}: ${failure.reason}\n`);
  }
  if (failed.length > 0) {
    throw new PivotError(
      `could not remove ${plural(failed.length, "blob")} from remote '${report.cloud!.remote}'`,
      { hint: "run 'pivot gc --cloud' again once the remote answers" },
    );
  }
}

/** `, and N unreferenced blobs changed in the last M minutes (…)`, or nothing when `count` is 0. */
function youngBlobs(count: number, how: "changed" | "pushed", minutes: number): string {
  return count > 0
    ? `, and ${plural(count, "unreferenced blob")} ${how} in the last ${
      plural(minutes, "minute")
    } (--grace 0 removes them)`
    : "";
}
