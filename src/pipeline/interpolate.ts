/**
 * `${name}` substitution. `\${` stands for a literal `${`.
 *
 * @module
 */

import { type QuoteContext, quoteInContext } from "../util/shell_quote.ts";

const TOKEN = /\\?\$\{([^}]*)\}/g;

/** The result of {@linkcode interpolate}. */
export interface Interpolated {
  /** The text with every resolved reference replaced. */
  readonly text: string;
  /** References that `resolve` did not know and `keep` did not keep, in order. */
  readonly unresolved: readonly string[];
}

/** Options for {@linkcode interpolate}. */
export interface InterpolateOptions {
  /** References to leave untouched for a later pass (escapes are then kept too). @default never */
  keep?: (name: string) => boolean;
}

/**
 * Replaces each `${name}` in `text` by `resolve(name)`; names it returns
 * `undefined` for are reported as unresolved (unless kept).
 */
export function interpolate(
  text: string,
  resolve: (name: string) => string | undefined,
  options: InterpolateOptions = {},
): Interpolated {
  const { keep } = options;
  const unresolved: string[] = [];
  const out = text.replace(TOKEN, (match, rawName: string) => {
    if (match.startsWith("\\")) return keep === undefined ? match.slice(1) : match;
    const name = rawName.trim();
    if (keep?.(name)) return match;
    const value = resolve(name);
    if (value === undefined) {
      unresolved.push(name);
      return match;
    }
    return value;
  });
  return { text: out, unresolved };
}

/**
 * Like {@linkcode interpolate} for a shell command: each value is quoted for
 * where it lands (bare, inside '…' or inside "…"), so `echo '${x}'` and
 * `echo ${x}` both pass `x` as one literal piece of text.
 */
export function interpolateCommand(
  command: string,
  resolve: (name: string) => string | undefined,
  options: InterpolateOptions = {},
): Interpolated {
  const { keep } = options;
  const unresolved: string[] = [];
  let out = "";
  let context: QuoteContext = "bare";
  let i = 0;
  while (i < command.length) {
    const rest = command.slice(i);
    const token = /^\\?\$\{([^}]*)\}/.exec(rest);
    if (token !== null) {
      const [match, rawName] = token;
      i += match.length;
      if (match.startsWith("\\")) {
        out += keep === undefined ? match.slice(1) : match;
        continue;
      }
      const name = rawName!.trim();
      const value = keep?.(name) ? undefined : resolve(name);
      if (value === undefined && !keep?.(name)) unresolved.push(name);
      out += value === undefined ? match : quoteInContext(value, context);
      continue;
    }
    const char = command[i]!;
    out += char;
    i++;
    if (char === "\\" && context !== "single" && i < command.length) {
      out += command[i];
      i++;
    } else if (char === "'" && context !== "double") {
      context = context === "single" ? "bare" : "single";
    } else if (char === '"' && context !== "single") {
      context = context === "double" ? "bare" : "double";
    }
  }
  return { text: out, unresolved };
}

/** The name in `text` when `text` is exactly one `${name}` reference, else `null`. */
export function soleReference(text: string): string | null {
  const match = /^\$\{([^}]*)\}$/.exec(text);
  return match?.[1] === undefined ? null : match[1].trim();
}

/** Every `${name}` referenced in `text` (escapes excluded). */
export function references(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(TOKEN)) {
    if (!match[0].startsWith("\\") && match[1] !== undefined) names.push(match[1].trim());
  }
  return names;
}
