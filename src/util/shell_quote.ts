const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes `value` for a POSIX shell, leaving it bare when it holds only safe
 * characters.
 *
 * @example Usage
 * ```ts
 * import { shellQuote } from "./shell_quote.ts";
 * shellQuote("data/a b.csv"); // "'data/a b.csv'"
 * ```
 */
export function shellQuote(value: string): string {
  if (SAFE.test(value)) return value;
  return `'${value.replaceAll("'", `'"'"'`)}'`;
}
