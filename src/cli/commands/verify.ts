import type { Command } from "@commander-js/extra-typings";
import * as path from "node:path";
import { trackedPasses, verifyStages } from "../../ops/mod.ts";
import { ReportedFailure } from "../../util/errors.ts";
import { relativePosix } from "../../util/paths.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { printJson } from "../print_json.ts";
import { outputProblemLine, trackedProblem } from "../problem_lines.ts";

/** `pivot verify [TARGETS] [--all] [--json]`. */
export function registerVerify(program: Command, ctx: CliContext): void {
  program
    .command("verify")
    .description(
      "exit 0 only if every stage is up to date with its outputs present and their content in the local cache, and tracked files match their .pvt",
    )
    .argument("[targets...]", "stages or identities (default: every stage)")
    .option("-a, --all", "every pipeline of the project, as one DAG")
    .option("--json", "print JSON")
    .action(async (targets, options) => {
      await using session = await openForCommand(ctx, {
        all: options.all ?? false,
        pipelinesOptional: true,
      });
      const { project } = session;
      const { stages: reports, tracked } = await verifyStages(session, { targets });
      const badTracked = tracked.filter((t) => !trackedPasses(t));
      const passed = reports.every((r) => r.passed) && badTracked.length === 0;
      if (options.json) printJson(ctx, { passed, stages: reports, tracked });
      else if (!ctx.quiet()) {
        const lines = reports.flatMap((r) =>
          r.passed ? [`ok     ${r.stage}`] : [
            `FAILED ${r.stage}: ${r.reason}`,
            ...r.outputs.map((o) => `    ${outputProblemLine(o)}`),
          ]
        );
        for (const item of badTracked) {
          const shown = relativePosix(project.cwd, path.join(project.root, item.path));
          lines.push(`FAILED tracked ${item.path}: ${trackedProblem(item, shown)}`);
        }
        const failed = reports.filter((r) => !r.passed).length;
        const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
        lines.push(
          passed
            ? `verification passed: ${plural(reports.length, "stage")} up to date`
            : `verification failed: ${failed} of ${plural(reports.length, "stage")}${
              badTracked.length === 0
                ? ""
                : `, ${badTracked.length} of ${plural(tracked.length, "tracked path")}`
            }`,
        );
        ctx.stdout(`${lines.join("\n")}\n`);
      }
      if (!passed) throw new ReportedFailure("verification failed");
    });
}
