import { exportDvc } from "../../ops/export_dvc.ts";
import { plural } from "../../util/format_bytes.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { renderReport } from "../render_report.ts";

/** `pivot export`: writes an equivalent `dvc.yaml`. */
export async function exportAction(
  ctx: CliContext,
  stages: string[],
  options: { output?: string; force?: true },
): Promise<void> {
  await using session = await openForCommand(ctx);
  const result = await exportDvc(session.project, {
    stages,
    ...(options.output === undefined ? {} : { output: options.output }),
    force: options.force ?? false,
  });
  if (ctx.quiet()) return;
  const lines = [`wrote ${result.output}: ${plural(result.stages, "stage")}`];
  if (result.paramsFile !== null) {
    lines.push(`wrote the stages' parameters to ${result.paramsFile}`);
  }
  ctx.stdout(`${lines.join("\n")}\n${renderReport(result.report)}`);
}
