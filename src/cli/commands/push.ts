import type { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../cli_context.ts";
import { parseJobs } from "../repro_flags.ts";

/** The options `push`, `fetch` and `pull` share. */
export function transferOptions<T extends Command<[string[]]>>(command: T) {
  return command
    .option("-a, --all", "every pipeline of the project, as one DAG")
    .option("-r, --remote <name>", "the remote to use (default: default_remote, else the only one)")
    .option(
      "-j, --jobs <n>",
      "transfers at once (default: the remote's jobs, else remote.jobs, 16)",
      parseJobs,
    )
    .option("-n, --dry-run", "show what would be transferred, and change nothing")
    .option("--no-index", "ignore the remote index: ask the remote what it holds")
    .option("--json", "print JSON Lines events and a summary");
}

/** `pivot push [TARGETS…]` and `pivot fetch [TARGETS…]`. */
export function registerPush(program: Command, ctx: CliContext): void {
  for (const direction of ["push", "fetch"] as const) {
    transferOptions(
      program
        .command(direction)
        .description(
          direction === "push"
            ? "upload the cached content of targets (default: everything the workspace's locks and .pvt files reference) to a remote"
            : "download the cached content of targets (and, for identities, their inputs) from a remote into the cache",
        )
        .argument("[targets...]", "identities (train, train:model) or tracked paths"),
    ).action(async (targets, options) =>
      (await import("../actions/push.ts")).transferAction(ctx, direction, targets, options)
    );
  }
}
