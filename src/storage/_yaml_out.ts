/**
 * YAML for metadata files (lock files, `.pvt` files): deterministic output,
 * and parsing with one error wording.
 *
 * Metadata is plain data (maps, lists, strings, numbers, booleans, null), so
 * it is emitted directly in the layout the `yaml` package prints with
 * `lineWidth: 0, indentSeq: true`, at a tenth of its cost: a fresh run writes
 * a lock per stage. A string is written plain only when it plainly cannot
 * read as anything else (no spaces, no leading indicator or digit, not
 * `true`/`false`/`null`); every other one is double-quoted with JSON escapes
 * (a JSON string is a valid YAML double-quoted scalar). The `yaml` package
 * parses everything back, imported when there is YAML to parse (see
 * `util/yaml_lib.ts`).
 *
 * @module
 */
import { PivotError } from "../util/errors.ts";

/**
 * Strings safe as plain scalars: a letter, `_` or `/` first (so never a
 * number, an indicator or `.inf`), then no spaces, quotes, brackets or
 * braces, and no `:` at the end (`a:` would read as a key).
 */
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./:#@+=~%-]*$/;
const PLAIN_TAIL_COLON = /:$/;
/** Plain words the YAML 1.2 core schema reads as booleans or null (`~` fails `PLAIN`). */
const RESERVED = /^(?:true|false|null)$/i;
/** Characters outside YAML's printable set that JSON leaves unescaped. */
const NON_PRINTABLE = /[\u007f-\u0084\u0086-\u009f\ufeff\ufffe\uffff]/g;

/**
 * JSON text with `\uXXXX` escapes for the characters YAML cannot hold raw
 * (JSON leaves them as they are; they only occur inside strings), so it is
 * valid YAML too.
 */
export function yamlSafeJson(json: string): string {
  return json.replace(NON_PRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** `text` double-quoted: JSON escapes, plus `\uXXXX` for what YAML cannot hold raw. */
function quoted(text: string): string {
  return yamlSafeJson(JSON.stringify(text));
}

function stringScalar(text: string, forceQuotes: boolean): string {
  return !forceQuotes && PLAIN.test(text) && !PLAIN_TAIL_COLON.test(text) && !RESERVED.test(text)
    ? text
    : quoted(text);
}

function numberScalar(value: number): string {
  if (Number.isNaN(value)) return ".nan";
  if (value === Infinity) return ".inf";
  if (value === -Infinity) return "-.inf";
  return String(value);
}

/**
 * A scalar's text, or null when `value` is a non-empty collection. Empty maps
 * and lists print in flow style (`{}`, `[]`), as the `yaml` package does.
 */
function inline(value: unknown, forceQuotes: boolean): string | null {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return stringScalar(value, forceQuotes);
  if (typeof value === "number") return numberScalar(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (Array.isArray(value)) return value.length === 0 ? "[]" : null;
  if (typeof value === "object") return Object.keys(value).length === 0 ? "{}" : null;
  throw new TypeError(`cannot write a ${typeof value} as metadata YAML`);
}

class Emitter {
  readonly lines: string[] = [];
  constructor(private readonly quotedMaps: ReadonlySet<string>) {}

  /** Writes the entries of `map` at `indent`; the first line goes after `lead` when given. */
  map(map: Record<string, unknown>, indent: string, quoteValues: boolean, lead?: string): void {
    let prefix = lead ?? indent;
    for (const [key, value] of Object.entries(map)) {
      if (value === undefined) continue;
      const keyText = stringScalar(key, false);
      const scalar = inline(value, quoteValues || key === "hash");
      if (scalar !== null) this.lines.push(`${prefix}${keyText}: ${scalar}`);
      else {
        this.lines.push(`${prefix}${keyText}:`);
        this.value(value, `${indent}  `, this.quotedMaps.has(key));
      }
      prefix = indent;
    }
  }

  /** Writes the items of `list` at `indent`; the first line goes after `lead` when given. */
  list(list: readonly unknown[], indent: string, lead?: string): void {
    let prefix = lead ?? indent;
    for (const item of list) {
      const scalar = inline(item, false);
      if (scalar !== null) this.lines.push(`${prefix}- ${scalar}`);
      else this.value(item, `${indent}  `, false, `${prefix}- `);
      prefix = indent;
    }
  }

  /** Writes a non-empty collection. */
  value(value: unknown, indent: string, quoteValues: boolean, lead?: string): void {
    if (Array.isArray(value)) this.list(value, indent, lead);
    else this.map(value as Record<string, unknown>, indent, quoteValues, lead);
  }
}

/**
 * Deterministic YAML for metadata files: block style, no line folding, and
 * every value of a `hash` key (plus any value of a mapping named in
 * `quotedMaps`) double-quoted, so a hash such as `1234567890123456` never
 * reads back as a number. Keys with an `undefined` value are left out.
 */
export function metadataYaml(data: unknown, quotedMaps: readonly string[] = []): string {
  const scalar = inline(data, false);
  if (scalar !== null) return `${scalar}\n`;
  const emitter = new Emitter(new Set(quotedMaps));
  emitter.value(data, "", false);
  return `${emitter.lines.join("\n")}\n`;
}

/**
 * Parses the text of a metadata file.
 *
 * @throws {PivotError} `not valid YAML: <the parser's first line>`
 */
export async function parseMetadataYaml(text: string): Promise<unknown> {
  const { parse } = await import("../util/yaml_lib.ts");
  try {
    // pivot writes no aliases: one is a hand edit, and many may be an alias bomb.
    return parse(text, { maxAliasCount: 100 });
  } catch (error) {
    if (error instanceof ReferenceError && /Excessive alias count/.test(error.message)) {
      throw new PivotError("not valid YAML: uses too many aliases, as an alias bomb does");
    }
    throw new PivotError(`not valid YAML: ${yamlProblem(error)}`);
  }
}

/** The first line of a YAML parser error, without a trailing colon. */
function yamlProblem(error: unknown): string {
  const first = (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
  return first.replace(/:\s*$/, "");
}
