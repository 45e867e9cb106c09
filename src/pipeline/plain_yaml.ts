/**
 * A fast reading of the plain YAML most pipeline files are written in, for
 * a file the parse cache does not hold: the `yaml` package takes 20–40 ms to
 * import and, cold, 250 ms or more to parse a file of 1,000 stages (its
 * syntax tree keeps every position for error messages), all before a run's
 * first job can start. This reads, in one pass over the lines, only what it
 * can read exactly as that package does (YAML 1.2, core schema):
 *
 * - block mappings (keys of letters, digits, `_`, `.`, `-`, starting with a
 *   letter or `_`, each once per map) and block sequences of one-line items;
 * - one-line values: a plain scalar (a string that starts with a letter,
 *   `_`, `$`, `/`, `./` or `../`, or a decimal number without exponent), a
 *   quoted string without escapes, or a flow sequence or mapping of those on
 *   one line;
 * - blank lines, whole-line comments and comments after a value without
 *   quotes; printable ASCII only.
 *
 * Anything else (a multi-line or block scalar, an anchor, alias, tag, merge
 * key, another kind of number, `null`/`true`/`false`, a repeated key, a
 * tab, a second document, any syntax error) gives `undefined`, and the
 * caller parses the text with the `yaml` package, which reads it, or
 * reports its error with line and column, as before.
 * `tests/pipeline/plain_yaml_test.ts` holds the two readings to each other.
 *
 * @module
 */

/** A key this reading accepts (other keys: the `yaml` package reads the file). */
const KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,199}$/;

/** Plain scalars the core schema reads as something other than a string. */
const NOT_STRINGS = /^(?:null|Null|NULL|true|True|TRUE|false|False|FALSE)$/;

/**
 * A decimal number the core schema reads as `Number` reads it: an integer or
 * a fraction, with an optional minus, no leading zero, no exponent.
 */
const NUMBER = /^-?(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,15})?$/;

/** A plain scalar in a block value: a string or, starting with a digit or `-`, a number. */
const BLOCK_PLAIN = /^(?:[A-Za-z_$/]|\.\.?\/|-?[0-9])[\x20-\x7e]*$/;

/** A plain scalar inside a flow collection: no spaces, no flow indicators, no `:`. */
const FLOW_PLAIN = /^(?:[A-Za-z_$/]|\.\.?\/|-?[0-9])[A-Za-z0-9_$/.-]*$/;

/** Printable ASCII and line feeds only. */
const PLAIN_TEXT = /^[\x20-\x7e\n]*$/;

/** Returned from inside the reading when the text is not one it reads. */
const UNREAD = Symbol("unread");

/** One line with content: its indentation and its text after it (trailing spaces removed). */
interface Line {
  readonly indent: number;
  readonly text: string;
}

/**
 * The data of pipeline-file `text` as the `yaml` package's `parseDocument`
 * and `toJS` give it, when the text is a block mapping in the plain subset
 * this module describes; else `undefined` (the caller parses the text as
 * before: this never reports an error).
 */
export function parsePlainYaml(text: string): Record<string, unknown> | undefined {
  if (!PLAIN_TEXT.test(text)) return undefined;
  const lines: Line[] = [];
  for (const raw of text.split("\n")) {
    const trimmed = raw.trimEnd();
    const content = trimmed.trimStart();
    if (content === "" || content.startsWith("#")) continue;
    lines.push({ indent: trimmed.length - content.length, text: content });
  }
  if (lines.length === 0 || lines[0]!.indent !== 0) return undefined;
  const reader = { lines, at: 0 };
  const data = readMapping(reader, 0);
  return data === UNREAD || reader.at !== lines.length ? undefined : data;
}

/** The lines of a text and the next one to read. */
interface Reader {
  readonly lines: readonly Line[];
  at: number;
}

/** The block mapping whose keys are at `indent`, from the reader's line on. */
function readMapping(reader: Reader, indent: number): Record<string, unknown> | typeof UNREAD {
  const map: Record<string, unknown> = {};
  const { lines } = reader;
  while (reader.at < lines.length) {
    const line = lines[reader.at]!;
    if (line.indent < indent) break;
    if (line.indent > indent) return UNREAD;
    const colon = line.text.indexOf(":");
    if (colon < 0) return UNREAD;
    const key = line.text.slice(0, colon);
    if (!isKey(key) || Object.hasOwn(map, key)) return UNREAD;
    const after = line.text.slice(colon + 1);
    if (after !== "" && !after.startsWith(" ")) return UNREAD;
    const rest = withoutComment(after.trimStart());
    if (rest === UNREAD) return UNREAD;
    reader.at++;
    const value = rest === "" ? readNested(reader, indent) : readLineValue(reader, indent, rest);
    if (value === UNREAD) return UNREAD;
    map[key] = value;
  }
  return map;
}

/** The block sequence whose `- ` items are at `indent`, from the reader's line on. */
function readSequence(reader: Reader, indent: number): unknown[] | typeof UNREAD {
  const items: unknown[] = [];
  const { lines } = reader;
  while (reader.at < lines.length) {
    const line = lines[reader.at]!;
    if (line.indent < indent) break;
    if (line.indent > indent || !line.text.startsWith("- ")) return UNREAD;
    reader.at++;
    const text = withoutComment(line.text.slice(2).trimStart());
    const item = text === UNREAD ? UNREAD : readLineValue(reader, indent, text);
    if (item === UNREAD) return UNREAD;
    items.push(item);
  }
  return items;
}

/**
 * `text` (a value, trimmed at the start) without the comment that ends its
 * line (` # …`, or all of it when it starts with `#`), trimmed; `UNREAD` for
 * a comment after a quote, which could be inside a quoted string.
 */
function withoutComment(text: string): string | typeof UNREAD {
  const start = text.startsWith("#") ? 0 : text.indexOf(" #");
  if (start < 0) return text;
  return /['"]/.test(text) ? UNREAD : text.slice(0, start).trimEnd();
}

/** The value of a key written alone on its line: what is indented under it, else `null`. */
function readNested(reader: Reader, indent: number): unknown {
  const next = reader.lines[reader.at];
  if (next === undefined || next.indent <= indent) return null;
  return next.text === "-" || next.text.startsWith("- ")
    ? readSequence(reader, next.indent)
    : readMapping(reader, next.indent);
}

/**
 * The one-line value `text` of an entry at `indent`; no line may follow
 * indented deeper (it would continue the value).
 */
function readLineValue(reader: Reader, indent: number, text: string): unknown {
  const next = reader.lines[reader.at];
  if (next !== undefined && next.indent > indent) return UNREAD;
  if (text.includes("#")) return UNREAD;
  const first = text[0];
  if (first === "[" || first === "{") {
    const flow = { text, at: 0 };
    const value = readFlow(flow);
    return flow.at === text.length ? value : UNREAD;
  }
  if (first === '"' || first === "'") {
    const body = text.slice(1, -1);
    return text.length >= 2 && text.endsWith(first) && !body.includes(first) &&
        !body.includes("\\")
      ? body
      : UNREAD;
  }
  if (!BLOCK_PLAIN.test(text) || text.includes(": ") || text.endsWith(":")) return UNREAD;
  return plainScalar(text);
}

/** A flow value being read: its line and where. */
interface FlowReader {
  readonly text: string;
  at: number;
}

/** The flow value at the reader's place (a collection, a quoted string or a plain scalar). */
function readFlow(flow: FlowReader): unknown {
  skipSpaces(flow);
  const first = flow.text[flow.at];
  if (first === "[") return readFlowCollection(flow, "]", () => readFlow(flow));
  if (first === "{") {
    const map: Record<string, unknown> = {};
    const filled = readFlowCollection(flow, "}", () => {
      const start = flow.at;
      while (/[A-Za-z0-9_.-]/.test(flow.text[flow.at] ?? "")) flow.at++;
      const key = flow.text.slice(start, flow.at);
      if (!isKey(key) || Object.hasOwn(map, key) || !flow.text.startsWith(": ", flow.at)) {
        return UNREAD;
      }
      flow.at += 2;
      const value = readFlow(flow);
      if (value === UNREAD) return UNREAD;
      map[key] = value;
      return null;
    });
    return filled === UNREAD ? UNREAD : map;
  }
  if (first === '"' || first === "'") {
    const end = flow.text.indexOf(first, flow.at + 1);
    if (end < 0) return UNREAD;
    const body = flow.text.slice(flow.at + 1, end);
    if (body.includes("\\")) return UNREAD;
    flow.at = end + 1;
    return body;
  }
  const start = flow.at;
  while (flow.at < flow.text.length && !",[]{} ".includes(flow.text[flow.at]!)) flow.at++;
  const text = flow.text.slice(start, flow.at);
  return FLOW_PLAIN.test(text) ? plainScalar(text) : UNREAD;
}

/**
 * The entries of the flow collection at the reader's place, each read by
 * `entry`, up to `close`: the items when `entry` gives values, `UNREAD` if
 * an entry is, or the collection is not, read.
 */
function readFlowCollection(
  flow: FlowReader,
  close: string,
  entry: () => unknown,
): unknown[] | typeof UNREAD {
  flow.at++;
  const items: unknown[] = [];
  skipSpaces(flow);
  if (flow.text[flow.at] === close) {
    flow.at++;
    return items;
  }
  for (;;) {
    const item = entry();
    if (item === UNREAD) return UNREAD;
    items.push(item);
    skipSpaces(flow);
    const next = flow.text[flow.at++];
    if (next === close) return items;
    if (next !== ",") return UNREAD;
    skipSpaces(flow);
    // A trailing or doubled comma is left to the `yaml` package.
    const after = flow.text[flow.at];
    if (after === close || after === "," || after === undefined) return UNREAD;
  }
}

function skipSpaces(flow: FlowReader): void {
  while (flow.text[flow.at] === " ") flow.at++;
}

/** Whether `key` is one this reading takes as the `yaml` package does. */
function isKey(key: string): boolean {
  return KEY.test(key) && !NOT_STRINGS.test(key) && key !== "__proto__";
}

/** The value of a plain scalar that passed the subset's pattern: a number or a string. */
function plainScalar(text: string): unknown {
  if (/^-?[0-9]/.test(text)) return NUMBER.test(text) ? Number(text) : UNREAD;
  return NOT_STRINGS.test(text) ? UNREAD : text;
}
