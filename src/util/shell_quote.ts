const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Where in a shell word a substituted value lands. */
export type QuoteContext = "bare" | "single" | "double";

/**
 * Quotes `value` for a POSIX shell, leaving it bare when it holds only safe
 * characters.
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { shellQuote } from "./shell_quote.ts";
 *
 * assert.equal(shellQuote("data/a b.csv"), "'data/a b.csv'");
 * ```
 */
export function shellQuote(value: string): string {
  if (SAFE.test(value)) return value;
  return `'${value.replaceAll("'", `'"'"'`)}'`;
}

/**
 * Makes `value` safe at a spot of a shell command that is bare, inside
 * '…', or inside "…", so that it is always one literal piece of text.
 */
export function quoteInContext(value: string, context: QuoteContext): string {
  switch (context) {
    case "bare":
      return shellQuote(value);
    case "single":
      return value.replaceAll("'", `'"'"'`);
    case "double":
      return value.replace(/[\\"$`]/g, "\\$&");
  }
}
