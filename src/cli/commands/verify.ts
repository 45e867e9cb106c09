import type { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../cli_context.ts";

/** `pivot verify [TARGETS] [--all] [--allow-missing [-r NAME] [--no-index]] [--json]`. */
export function registerVerify(program: Command, ctx: CliContext): void {
  program
    .command("verify")
    .description(
      "exit 0 only if every stage is up to date with its outputs present and their content in the local cache, and tracked files match their .pvt",
    )
    .argument("[targets...]", "stages or identities (default: every stage)")
    .option("-a, --all", "every pipeline of the project, as one DAG")
    .option(
      "--allow-missing",
      "data may be absent (a fresh clone): stages up to date as their locks record them, and every blob the locks and .pvt files name in the local cache or on the remote",
    )
    .option(
      "-r, --remote <name>",
      "with --allow-missing: the remote (default: default_remote, else the only one)",
    )
    .option("--no-index", "with --allow-missing: ask the remote, ignoring the remote index")
    .option("--json", "print JSON")
    .action(async (targets, options) =>
      (await import("../actions/verify.ts")).verifyAction(ctx, targets, options)
    );
}
