/**
 * Text helpers shared by `import-dvc` and `export`: `${…}` expressions, output
 * and dependency names made from paths, formats guessed from extensions, and
 * folding per-variant strings back into one template.
 *
 * @module
 */
import { type Format, isFormat } from "../formats/mod.ts";
import { isValidKey } from "../identity/mod.ts";
import { KIND_FORMATS, type OutputKind } from "../pipeline/mod.ts";

/** One `${…}` expression in a text. */
export interface Expression {
  /** The whole match (`${ item.x }`). */
  readonly match: string;
  /** The name inside, trimmed (`item.x`). */
  readonly name: string;
  /** Where it starts in the text. */
  readonly offset: number;
}

const TOKEN = /\\?\$\{([^}]*)\}/g;

/** The `${…}` expressions of `text` (escaped `\${` ones left out). */
export function expressions(text: string): Expression[] {
  const found: Expression[] = [];
  for (const match of text.matchAll(TOKEN)) {
    if (match[0].startsWith("\\")) continue;
    found.push({ match: match[0], name: match[1]!.trim(), offset: match.index });
  }
  return found;
}

/**
 * Replaces each `${…}` of `text` with `replace(name)`, keeping escaped ones
 * (`\${`) as they are.
 */
export function replaceExpressions(text: string, replace: (name: string) => string): string {
  return text.replace(
    TOKEN,
    (match, name: string) => match.startsWith("\\") ? match : replace(name.trim()),
  );
}

/**
 * A key for an output or dependency named after `text` (a path, maybe with
 * `${…}`): its last part, without the extension when `dropExtension`, with
 * characters a key cannot hold replaced by `_`.
 */
export function keyFromPath(text: string, dropExtension: boolean): string {
  const last = text.replace(/\/+$/, "").split("/").pop() ?? "";
  const plain = last.replace(/\$\{\s*([^}]*?)\s*\}/g, "$1");
  const dot = plain.lastIndexOf(".");
  const stem = dropExtension && dot > 0 ? plain.slice(0, dot) : plain;
  let key = stem.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^_+(?=.)/, "");
  if (key === "" || key === "_") key = "out";
  if (!/^[A-Za-z_]/.test(key)) key = `_${key}`;
  return isValidKey(key) ? key : "out";
}

/**
 * `wanted` made unique among `taken` (which it joins): first as is, then with
 * `parent` in front (`train_roc`), then with a number (`roc_2`).
 */
export function uniqueKey(wanted: string, taken: Set<string>, parent = ""): string {
  const candidates = [wanted];
  if (parent !== "") candidates.push(keyFromPath(`${parent}_${wanted}`, false));
  for (const candidate of candidates) {
    if (!taken.has(candidate)) {
      taken.add(candidate);
      return candidate;
    }
  }
  for (let n = 2;; n++) {
    const candidate = `${wanted}_${n}`;
    if (!taken.has(candidate)) {
      taken.add(candidate);
      return candidate;
    }
  }
}

/** The format a file's extension names (`yml` is yaml), or `bin`. */
export function formatOfExtension(file: string): Format {
  const name = file.split("/").pop() ?? "";
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
  if (ext === "yml") return "yaml";
  return ext !== "dir" && isFormat(ext) ? ext : "bin";
}

/** True when a `kind` output may have `format`. */
export function kindAllows(kind: OutputKind, format: Format): boolean {
  return kind === "data" || KIND_FORMATS[kind].includes(format);
}

/**
 * One template that gives `texts[i]` when each `${dim}` is replaced by
 * `values[i][dim]`, or `null` when there is none. The texts are read side by
 * side: where every text holds its own value of a dimension that varies, the
 * template gets `placeholder(dim)`; where they all hold the same character
 * (or the same `${…}` reference), the template keeps it.
 */
export function foldAcross(
  texts: readonly string[],
  values: readonly Readonly<Record<string, string>>[],
  placeholder: (dim: string) => string,
): string | null {
  const first = texts[0];
  const firstValues = values[0];
  if (first === undefined || firstValues === undefined) return null;
  const dims = Object.keys(firstValues)
    .filter((dim) => values.some((v) => v[dim] !== firstValues[dim]))
    .filter((dim) => values.every((v) => (v[dim] ?? "") !== ""))
    .sort((a, b) => firstValues[b]!.length - firstValues[a]!.length);
  const at = texts.map(() => 0);
  let template = "";
  while (at[0]! < first.length) {
    const reference = /^\$\{[^}]*\}/.exec(first.slice(at[0]))?.[0];
    if (reference !== undefined) {
      if (!texts.every((text, i) => text.startsWith(reference, at[i]))) return null;
      template += reference;
      texts.forEach((_, i) => (at[i]! += reference.length));
      continue;
    }
    const dim = dims.find((d) => texts.every((text, i) => text.startsWith(values[i]![d]!, at[i])));
    if (dim !== undefined) {
      template += placeholder(dim);
      texts.forEach((_, i) => (at[i]! += values[i]![dim]!.length));
      continue;
    }
    const char = first[at[0]!]!;
    if (!texts.every((text, i) => text[at[i]!] === char)) return null;
    template += char;
    texts.forEach((_, i) => (at[i]! += 1));
  }
  return texts.every((text, i) => at[i] === text.length) ? template : null;
}
