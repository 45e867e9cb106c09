// deno-lint-ignore no-control-regex -- matching terminal colour codes is the point
const ANSI = /\x1b\[[0-9;]*m/g;

/** `text` without terminal colour codes. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

/** The first non-blank line of `text`, trimmed and without terminal colour codes. */
export function firstLine(text: string): string {
  return stripAnsi(text).split("\n").find((line) => line.trim() !== "")?.trim() ?? "";
}
