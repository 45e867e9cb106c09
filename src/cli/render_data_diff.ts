import type { DataDiff } from "../ops/diff_data.ts";
import type { RowChanges } from "../report/mod.ts";
import { formatTable } from "./print_table.ts";

/** Characters of a value shown in a table cell (JSON has them all). */
const CELL_CHARS = 60;

/** Options for {@linkcode renderDataDiff}. */
export interface RenderDataDiffOptions {
  /** Markdown (a pull-request comment) instead of plain text. @default {false} */
  markdown?: boolean;
}

/**
 * A data diff as text: a header line, row counts and schema changes, then a
 * table per kind of row change (the rows `--max-rows` kept, and how many
 * more there are); `no differences …` when the versions are equal.
 */
export function renderDataDiff(diff: DataDiff, options: RenderDataDiffOptions = {}): string {
  const { markdown = false } = options;
  const between = `${label(diff.old)} and ${label(diff.new)}`;
  if (diff.equal) {
    return `no differences in ${diff.target} between ${between}${
      diff.identical ? " (the same content)" : ""
    }\n`;
  }
  const code = (text: string) => (markdown ? `\`${text}\`` : text);
  const lines: string[] = [];
  const matched = diff.key === null
    ? "rows matched by position"
    : `rows matched by key ${diff.key.map(code).join(", ")}`;
  lines.push(
    markdown
      ? `**${diff.target}** (${diff.format}): ${between}, ${matched}`
      : `${diff.target} (${diff.format}): ${between}, ${matched}`,
  );
  const facts: string[] = [];
  for (const [side, other] of [[diff.old, diff.new], [diff.new, diff.old]] as const) {
    if (!side.exists) {
      facts.push(`only in ${other.rev}: ${side.path} does not exist in ${side.rev}`);
      facts.push(
        `${other.rev}: ${count(other.rows ?? 0, "row")}; columns ${
          (other.columns ?? []).map((column) => `${code(column.name)} (${column.type})`).join(
            ", ",
          ) || "none"
        }`,
      );
    }
  }
  if (diff.old.exists && diff.new.exists) {
    const before = diff.old.rows ?? 0;
    const after = diff.new.rows ?? 0;
    const delta = after - before;
    facts.push(
      `rows: ${number(before)} → ${number(after)}${
        delta === 0 ? "" : ` (${delta > 0 ? "+" : ""}${number(delta)})`
      }`,
    );
    if (diff.schema.length > 0) {
      facts.push(
        `columns: ${
          diff.schema.map((change) =>
            change.change === "added"
              ? `+ ${code(change.column)} (${change.new})`
              : change.change === "removed"
              ? `- ${code(change.column)} (${change.old})`
              : `~ ${code(change.column)}: ${change.old} → ${change.new}`
          ).join(", ")
        }`,
      );
    }
    if (diff.columnOrderChanged) facts.push("the columns are in another order");
    if (diff.reordered) {
      facts.push(`the same rows in another order (${count(diff.moved, "row")} moved)`);
    }
  }
  lines.push(...facts.map((fact) => (markdown ? `- ${fact}` : fact)));
  const sections: string[] = [];
  const oldColumns = (diff.old.columns ?? []).map((column) => column.name);
  const newColumns = (diff.new.columns ?? []).map((column) => column.name);
  const keyCells = (key: readonly unknown[] | null) => (key ?? []).map(cell);
  const keyHeader = diff.key ?? [];
  sections.push(
    ...table("added rows", diff.added, ["row", ...newColumns], (row) => [
      String(row.row),
      ...newColumns.map((name) => cell(row.values[name])),
    ]),
    ...table("removed rows", diff.removed, ["row", ...oldColumns], (row) => [
      String(row.row),
      ...oldColumns.map((name) => cell(row.values[name])),
    ]),
    ...table(
      "modified rows",
      diff.modified,
      ["row", ...keyHeader, "column", diff.old.rev, diff.new.rev],
      (row) =>
        row.changes.map((change) => [
          row.oldRow === row.newRow ? String(row.newRow) : `${row.oldRow} → ${row.newRow}`,
          ...keyCells(row.key),
          change.column,
          cell(change.old),
          cell(change.new),
        ]),
    ),
  );
  if (diff.duplicateKeys !== null) {
    for (
      const [side, found] of [[diff.old, diff.duplicateKeys.old], [
        diff.new,
        diff.duplicateKeys.new,
      ]] as const
    ) {
      sections.push(
        ...table(
          `duplicate keys in ${side.rev}`,
          found,
          [...keyHeader, "count", "rows"],
          (entry) => [
            ...keyCells(entry.key),
            String(entry.count),
            `${entry.rows.join(", ")}${entry.count > entry.rows.length ? ", …" : ""}`,
          ],
        ),
      );
    }
  }
  return `${[lines.join("\n"), ...sections].join(markdown ? "\n\n" : "\n")}\n`;

  function table<T>(
    title: string,
    changes: RowChanges<T>,
    header: readonly string[],
    toRows: (item: T) => string[] | string[][],
  ): string[] {
    if (changes.count === 0) return [];
    const rows = changes.rows.flatMap((item) => {
      const made = toRows(item);
      return Array.isArray(made[0]) ? made as string[][] : [made as string[]];
    });
    const more = changes.count - changes.rows.length;
    const heading = markdown
      ? `**${title[0]!.toUpperCase()}${title.slice(1)}** (${number(changes.count)})`
      : `${title} (${number(changes.count)}):`;
    const parts = [heading];
    if (rows.length > 0) {
      const text = formatTable(header, rows, { markdown }).trimEnd();
      parts.push(markdown ? text : text.split("\n").map((line) => `  ${line}`).join("\n"));
    }
    if (more > 0) {
      parts.push(`${markdown ? "" : "  "}… and ${number(more)} more (--max-rows shows more)`);
    }
    return [parts.join(markdown ? "\n\n" : "\n")];
  }
}

function label(version: DataDiff["old"]): string {
  return version.commit === null ? version.rev : `${version.rev} (${version.commit.slice(0, 7)})`;
}

function number(value: number): string {
  return value.toLocaleString("en");
}

function count(value: number, noun: string): string {
  return `${number(value)} ${noun}${value === 1 ? "" : "s"}`;
}

/** A value in a cell: text as it is (`""` when empty), other values as JSON, long ones cut. */
function cell(value: unknown): string {
  const text = typeof value === "string"
    ? (value === "" ? '""' : value)
    : JSON.stringify(value) ?? "null";
  return text.length > CELL_CHARS ? `${text.slice(0, CELL_CHARS - 1)}…` : text;
}
