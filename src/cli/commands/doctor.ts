import type { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../cli_context.ts";

/** `pivot doctor [--json] [--remote]`. */
export function registerDoctor(program: Command, ctx: CliContext): void {
  program
    .command("doctor")
    .description("check the installation, project, cache and remotes, and say how to fix problems")
    .option("--remote", "check the configured remotes too")
    .option("--json", "print the checks as JSON")
    .action(async (options) => (await import("../actions/doctor.ts")).doctorAction(ctx, options));
}
