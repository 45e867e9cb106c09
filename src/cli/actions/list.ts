import { listStages } from "../../ops/list_stages.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { printJson } from "../print_json.ts";

/** `pivot list`: each stage with its dependencies, outputs, params and state folder. */
export async function listAction(
  ctx: CliContext,
  options: { all?: true; json?: true },
): Promise<void> {
  await using session = await openForCommand(ctx, { all: options.all ?? false });
  const { project } = session;
  const stages = listStages(project);
  if (options.json) return printJson(ctx, stages);
  if (ctx.quiet()) return;
  if (stages.length === 0) {
    ctx.stdout(`pipeline '${project.discovery.name}' has no stages\n`);
    return;
  }
  const lines: string[] = [];
  for (const stage of stages) {
    lines.push(`${stage.name}  (${stage.kind}, pipeline ${stage.pipeline}, ${stage.file})`);
    if (stage.desc !== null) lines.push(`  ${stage.desc}`);
    if (ctx.verbose()) lines.push(`  ${stage.kind.padEnd(5)}  ${stage.action}`);
    for (const dep of stage.deps) {
      const target = dep.kind === "identity"
        ? `${dep.identity} → ${dep.paths.join(", ")}`
        : dep.kind === "file"
        ? dep.paths.join(", ")
        : `${dep.text} (not found)`;
      lines.push(`  dep    ${dep.name}: ${target}`);
    }
    for (const out of stage.outs) {
      const notes = [
        out.format,
        out.kind === "data" ? null : out.kind,
        out.cache ? null : "not cached",
      ]
        .filter((note) => note !== null).join(", ");
      lines.push(`  out    ${out.identity} → ${out.path}  (${notes})`);
    }
    const params = Object.entries(stage.params).map(([key, value]) =>
      `${key}=${JSON.stringify(value)}`
    );
    if (params.length > 0) lines.push(`  param  ${params.join(" ")}`);
    lines.push(`  state  ${stage.stateDir}`);
  }
  ctx.stdout(`${lines.join("\n")}\n`);
}
