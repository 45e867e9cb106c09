/**
 * `${name}` substitution. `\${` stands for a literal `${`.
 *
 * @module
 */

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
