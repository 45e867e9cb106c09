import type { CliContext } from "./cli_context.ts";

/** How many items a problem list shows before `… and N more`. */
const SHOWN_ITEMS = 15;

/**
 * Prints `error: <title>:` with the items indented below it (at most 15, then
 * `… and N more`) and an optional `hint:` line, all on stderr.
 */
export function printProblem(
  ctx: CliContext,
  title: string,
  items: readonly string[],
  hint?: string,
): void {
  const lines = [`error: ${title}${items.length > 0 ? ":" : ""}`];
  for (const item of items.slice(0, SHOWN_ITEMS)) lines.push(`  ${item}`);
  if (items.length > SHOWN_ITEMS) lines.push(`  … and ${items.length - SHOWN_ITEMS} more`);
  if (hint !== undefined) lines.push(`hint: ${hint}`);
  ctx.stderr(`${lines.join("\n")}\n`);
}
