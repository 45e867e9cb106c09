const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A csv/tsv cell as a value: empty → `null`, `true`/`false` (any case) → a
 * boolean, a decimal number → a number, anything else the text itself.
 */
export function parseCell(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  const lower = trimmed.toLowerCase();
  if (lower === "true" || lower === "false") return lower === "true";
  if (NUMBER.test(trimmed)) return Number(trimmed);
  return text;
}
