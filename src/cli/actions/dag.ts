import { dagView, renderDagView } from "../../ops/dag_view.ts";
import { UsageError } from "../../util/errors.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";

/** `pivot dag`: the graph as text, dot or Mermaid. */
export async function dagAction(
  ctx: CliContext,
  targets: string[],
  options: { all?: true; dot?: true; mermaid?: true; md?: true; stages?: true },
): Promise<void> {
  const formats = (["dot", "mermaid", "md"] as const).filter((f) => options[f]);
  if (formats.length > 1) {
    throw new UsageError(
      `choose one output format: ${formats.map((f) => `--${f}`).join(", ")}`,
    );
  }
  await using session = await openForCommand(ctx, { all: options.all ?? false });
  const view = await dagView(session.project, { targets, stages: options.stages ?? false });
  ctx.stdout(renderDagView(view, formats[0] ?? "text"));
}
