import type { Command } from "@commander-js/extra-typings";
import { verifyStages } from "../../ops/mod.ts";
import { checkoutModes, openProject } from "../../project/mod.ts";
import { ReportedFailure } from "../../util/errors.ts";
import type { CliContext } from "../cli_context.ts";
import { printJson } from "../print_json.ts";

/** `pivot verify [TARGETS] [--all] [--json]`. */
export function registerVerify(program: Command, ctx: CliContext): void {
  program
    .command("verify")
    .description(
      "exit 0 only if every stage is up to date and every cached output's content is in the local cache",
    )
    .argument("[targets...]", "stages or identities (default: every stage)")
    .option("-a, --all", "every pipeline of the project, as one DAG")
    .option("--json", "print JSON")
    .action(async (targets, options) => {
      const project = await openProject({ cwd: ctx.cwd, all: options.all ?? false });
      project.warnings.forEach(ctx.warn);
      const reports = await verifyStages(project, {
        targets,
        modes: checkoutModes(project.config),
        warn: ctx.warn,
      });
      const passed = reports.every((r) => r.passed);
      if (options.json) printJson(ctx, { passed, stages: reports });
      else if (!ctx.quiet()) {
        const lines = reports.map((r) =>
          r.passed ? `ok     ${r.stage}` : `FAILED ${r.stage}: ${r.reason}`
        );
        const failed = reports.filter((r) => !r.passed).length;
        lines.push(
          passed
            ? `verification passed: ${reports.length} stage${
              reports.length === 1 ? "" : "s"
            } up to date`
            : `verification failed: ${failed} of ${reports.length} stage${
              reports.length === 1 ? "" : "s"
            }`,
        );
        ctx.stdout(`${lines.join("\n")}\n`);
      }
      if (!passed) throw new ReportedFailure("verification failed");
    });
}
