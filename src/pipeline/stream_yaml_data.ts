/**
 * The plain data of a large pipeline file, parsed without holding its whole
 * syntax tree: the `yaml` package's concrete syntax tree takes ~60 bytes per
 * character of text (61 MB for 10,000 stages) and its document 26 MB more,
 * all alive at once. Here the parser is fed one token at a time, and the
 * finished entries of the top-level `stages:` map are taken out of the tree
 * a few dozen at a time and turned into data, so the tree never holds more
 * than a few dozen stages.
 *
 * Each batch is composed as a document of its own that has the same path to
 * its entries (the document, the top-level map, the `stages` entry, the
 * stages map, at the same offsets and indents), so every entry is composed
 * exactly as in the whole document. Whatever could make the result differ
 * from {@linkcode parseYamlSource}'s, or is an error, gives `null` instead,
 * and the caller parses the whole text: an error or a warning-worthy problem
 * (reported with its line by the whole parse), a directive, more than one
 * document, a key repeated (also across batches), a merge key (`<<`) in the
 * stages map, an alias whose anchor is in another batch.
 *
 * This reaches into the parser's stack (the `yaml` version is pinned in
 * `deno.json`); `tests/pipeline/stream_yaml_data_test.ts` holds it to the
 * whole parse.
 *
 * @module
 */
import { Composer, type Document, isMap, isScalar, Lexer, Parser } from "../util/yaml_lib.ts";
import type { CST } from "../util/yaml_lib.ts";
import { firstDuplicateKey, MAX_ALIAS_COUNT, YAML_OPTIONS } from "./yaml_source.ts";

/** Options for {@linkcode streamYamlData}. */
export interface StreamYamlOptions {
  /**
   * How many finished stages are turned into data at once: more keep more
   * of the tree alive (and more of it survives into the old heap). @default {32}
   */
  batch?: number;
}

/** What {@linkcode streamYamlData} reads of the parser: its stack of open tokens. */
interface ParserStack {
  readonly stack: readonly CST.Token[];
}

/** What may stand between `stages` and its map (no anchor, no tag). */
const PLAIN_SEPARATORS: ReadonlySet<string> = new Set([
  "map-value-ind",
  "space",
  "comment",
  "newline",
]);

/** A token that holds a block map, with its items. */
type BlockMap = CST.BlockMap;

/** The same checks and conversion as `parseYamlSource`, for one composed document. */
function plainData(doc: Document.Parsed): { readonly data: unknown } | null {
  if (doc.errors.length > 0 || firstDuplicateKey(doc.contents) !== null) return null;
  return { data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
}

/**
 * False when a scalar key of `map` (a YAMLMap) is a merge key (`<<`) or was
 * seen before in `seen`, which learns them.
 */
function newKeys(map: unknown, seen: Set<unknown>): boolean {
  if (!isMap(map)) return true;
  for (const { key } of map.items) {
    if (!isScalar(key) || Number.isNaN(key.value)) continue;
    if (key.value === "<<" || seen.has(key.value)) return false;
    seen.add(key.value);
  }
  return true;
}

/** Copies `from`'s own entries onto `into`, as own data properties (a `__proto__` key too). */
function addEntries(into: Record<string, unknown>, from: unknown): void {
  for (const [key, value] of Object.entries(from as Record<string, unknown>)) {
    Object.defineProperty(into, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
}

/**
 * The plain data of YAML `text`, parsed with the finished entries of its
 * `stages:` map turned into data a batch at a time, or `null` when the text
 * is to be parsed whole (see the module documentation): the same data as
 * {@linkcode parseYamlSource} gives, whenever not `null`.
 */
export function streamYamlData(
  text: string,
  options: StreamYamlOptions = {},
): { readonly data: unknown } | null {
  const { batch = 32 } = options;
  try {
    const parser = new Parser();
    const { stack } = parser as unknown as ParserStack;
    const tokens: CST.Token[] = [];
    const stages: Record<string, unknown> = {};
    const seen = new Set<unknown>();
    let taken = false;
    for (const lexeme of new Lexer().lex(text)) {
      for (const token of parser.next(lexeme)) {
        if (token.type === "directive") return null;
        tokens.push(token);
      }
      if (lexeme !== "\n" && lexeme !== "\r\n") continue;
      const [doc, top, map] = stack;
      if (doc?.type !== "document" || top?.type !== "block-map" || map?.type !== "block-map") {
        continue;
      }
      const entry = top.items.at(-1);
      const key = entry?.key;
      if (
        entry?.sep === undefined || entry.value !== undefined || entry.explicitKey ||
        key?.type !== "scalar" || key.source !== "stages"
      ) continue;
      // An anchor (or tag) on the stages map: an alias to it must find every stage.
      if (entry.sep.some(({ type }) => !PLAIN_SEPARATORS.has(type))) return null;
      // The last two items may still change (the parser looks back at the one before last).
      if (map.items.length < batch + 2) continue;
      const items = map.items.splice(0, map.items.length - 2);
      const stagesMap: BlockMap = { ...map, items };
      const part: CST.Document = {
        type: "document",
        offset: doc.offset,
        start: doc.start,
        value: {
          ...top,
          items: [{ start: entry.start, key: entry.key, sep: entry.sep, value: stagesMap }],
        },
      };
      const docs = [...new Composer(YAML_OPTIONS).compose([part])];
      const parsed = docs.length === 1 ? plainData(docs[0]!) : null;
      const composed = isMap(docs[0]?.contents) ? docs[0].contents.items[0]?.value : undefined;
      if (parsed === null || !newKeys(composed, seen)) return null;
      addEntries(stages, (parsed.data as { stages: unknown }).stages);
      taken = true;
    }
    for (const token of parser.end()) tokens.push(token);
    const docs = [...new Composer(YAML_OPTIONS).compose(tokens, true, text.length)];
    if (docs.length !== 1) return null;
    const whole = plainData(docs[0]!);
    if (whole === null || !taken) return whole;
    // The rest of the stages map: its keys are new, and it follows the batches.
    const contents = docs[0]!.contents;
    const rest = isMap(contents)
      ? contents.items.find(({ key }) => isScalar(key) && key.value === "stages")?.value
      : undefined;
    if (!newKeys(rest, seen)) return null;
    const data = whole.data as Record<string, unknown>;
    addEntries(stages, data.stages ?? {});
    data.stages = stages;
    return { data };
  } catch {
    return null;
  }
}
