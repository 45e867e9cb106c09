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
  return substitute(text, resolve, options.keep, (value) => value);
}

/**
 * Like {@linkcode interpolate} for a shell command: each value is quoted for
 * where it lands (bare, inside '…' or inside "…"), so `echo '${x}'` and
 * `echo ${x}` both pass `x` as one literal piece of text. A list value
 * becomes one word per item when bare.
 */
export function interpolateCommand(
  command: string,
  resolve: (name: string) => string | readonly string[] | undefined,
  options: InterpolateOptions = {},
): Interpolated {
  const contextAt = quoteContextTracker(command);
  return substitute(command, resolve, options.keep, (value, offset) => {
    const context = contextAt(offset);
    // A list is several words when bare, one space-separated text inside quotes.
    if (typeof value !== "string") {
      return context === "bare"
        ? value.map((item) => quoteInContext(item, "bare")).join(" ")
        : quoteInContext(value.join(" "), context);
    }
    return quoteInContext(value, context);
  });
}

function substitute<V extends string | readonly string[]>(
  text: string,
  resolve: (name: string) => V | undefined,
  keep: ((name: string) => boolean) | undefined,
  render: (value: V, offset: number) => string,
): Interpolated {
  // Most texts (a thousand stages' file paths) reference nothing: no pattern to run.
  if (!text.includes("${")) return { text, unresolved: [] };
  const unresolved: string[] = [];
  const out = text.replace(TOKEN, (match, rawName: string, offset: number) => {
    if (match.startsWith("\\")) return keep === undefined ? match.slice(1) : match;
    const name = rawName.trim();
    if (keep?.(name)) return match;
    const value = resolve(name);
    if (value === undefined) {
      unresolved.push(name);
      return match;
    }
    return render(value, offset);
  });
  return { text: out, unresolved };
}

/**
 * Returns the shell quoting context at increasing offsets of `command`,
 * following '…', "…", `$(…)` and backquote substitutions (whose insides are
 * bare again, even within "…"), backslash escapes and `#` comments.
 */
function quoteContextTracker(command: string): (offset: number) => QuoteContext {
  // Each level: its quoting, and what closes it.
  const stack: { context: QuoteContext; close: string | null }[] = [{
    context: "bare",
    close: null,
  }];
  let i = 0;
  const top = () => stack[stack.length - 1]!;
  return (offset) => {
    while (i < offset) {
      const char = command[i]!;
      const level = top();
      if (level.context === "single") {
        if (char === "'") stack.pop();
        i++;
        continue;
      }
      if (char === "\\") {
        i += 2;
        continue;
      }
      if (char === "$" && command[i + 1] === "(") {
        stack.push({ context: "bare", close: ")" });
        i += 2;
        continue;
      }
      if (char === "`") {
        if (level.close === "`") stack.pop();
        else stack.push({ context: "bare", close: "`" });
        i++;
        continue;
      }
      if (level.context === "double") {
        if (char === '"') stack.pop();
        i++;
        continue;
      }
      // Bare.
      if (char === "'") stack.push({ context: "single", close: "'" });
      else if (char === '"') stack.push({ context: "double", close: '"' });
      else if (char === ")" && level.close === ")") stack.pop();
      else if (char === "#" && (i === 0 || /[\s;&|()]/.test(command[i - 1]!))) {
        const end = command.indexOf("\n", i);
        i = end === -1 ? command.length : end;
        continue;
      }
      i++;
    }
    return top().context;
  };
}

/** The name in `text` when `text` is exactly one `${name}` reference, else `null`. */
export function soleReference(text: string): string | null {
  const match = /^\$\{([^}]*)\}$/.exec(text);
  return match?.[1] === undefined ? null : match[1].trim();
}

/** Every `${name}` referenced in `text` (escapes excluded). */
export function references(text: string): string[] {
  const names: string[] = [];
  if (!text.includes("${")) return names;
  for (const match of text.matchAll(TOKEN)) {
    if (!match[0].startsWith("\\") && match[1] !== undefined) names.push(match[1].trim());
  }
  return names;
}
