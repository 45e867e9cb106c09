import type { CliContext } from "./cli_context.ts";

/** Prints `value` as indented JSON on stdout. */
export function printJson(ctx: CliContext, value: unknown): void {
  ctx.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
