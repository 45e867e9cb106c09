/** Options for {@linkcode formatTable}. */
export interface FormatTableOptions {
  /** A GitHub Markdown table instead of plain text. @default {false} */
  markdown?: boolean;
}

/**
 * A table as text: columns padded to their widest cell and separated by two
 * spaces (no trailing blanks), or with `markdown` a GitHub-style table
 * (`|` in cells escaped).
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTable } from "./print_table.ts";
 *
 * assert.equal(formatTable(["Key", "Value"], [["loss", "0.3"]]), "Key   Value\nloss  0.3\n");
 * ```
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: FormatTableOptions = {},
): string {
  const { markdown = false } = options;
  const clean = (cell: string) => cell.replace(/[\r\n]+/g, " ");
  const cells = [header, ...rows].map((row) =>
    row.map((cell) => markdown ? clean(cell).replaceAll("|", "\\|") : clean(cell))
  );
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  const lines = cells.map((row) =>
    markdown
      ? `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ")} |`
      : row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")
        .trimEnd()
  );
  if (markdown) lines.splice(1, 0, `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`);
  return `${lines.join("\n")}\n`;
}
