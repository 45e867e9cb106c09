import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  type Range,
  visit,
  type YAMLMap,
} from "../util/yaml_lib.ts";
import { PipelineFileError } from "../util/errors.ts";
import type { FieldPath, Locator, SourcePosition } from "./_context.ts";

/**
 * How many alias expansions a file may make (the `yaml` package's default):
 * a few lines of nested aliases ("billion laughs") would otherwise expand to
 * more data than memory holds.
 */
export const MAX_ALIAS_COUNT = 100;

/** The options pipeline files are parsed with (see {@linkcode parseYamlSource}). */
export const YAML_OPTIONS = {
  prettyErrors: false,
  // Checked apart in one pass: the package compares each key with every earlier one.
  uniqueKeys: false,
  merge: true,
} as const;

/** A parsed YAML file with a way to find where each field is written. */
export interface YamlSource {
  /** The parsed data (`null` for an empty file). */
  readonly data: unknown;
  /** Maps a field path to its position. */
  readonly locate: Locator;
}

/** What fixes the syntax errors users make most, by the `yaml` package's error code. */
const SYNTAX_HINTS: Readonly<Record<string, string>> = {
  // `cmd: echo a: b` — a plain value cannot hold ': '.
  BLOCK_AS_IMPLICIT_KEY:
    "a value that holds ': ' must be quoted (cmd: \"echo a: b\"), or written as a block: 'cmd: |' with the text on the next lines, indented",
  TAB_AS_INDENT: "indent with spaces; YAML does not allow tabs there",
};

/**
 * Parses YAML 1.2 text, keeping positions for error messages.
 *
 * @throws {PipelineFileError} on a syntax error, with line and column
 */
export function parseYamlSource(text: string, file: string, displayFile: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, ...YAML_OPTIONS });
  const duplicate = firstDuplicateKey(doc.contents);
  const parseError = doc.errors[0];
  const firstError =
    duplicate !== null && (parseError === undefined || duplicate < parseError.pos[0])
      ? { pos: [duplicate], code: "DUPLICATE_KEY", message: "Map keys must be unique" }
      : parseError;
  if (firstError !== undefined) {
    const position = lineCounter.linePos(firstError.pos[0]!);
    const detail = firstError.code === "MULTIPLE_DOCS"
      ? "the file holds several YAML documents (separated by '---'); keep one"
      : firstError.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    const hint = SYNTAX_HINTS[firstError.code];
    throw new PipelineFileError(file, `invalid YAML: ${lowerFirst(detail)}`, {
      displayFile,
      line: position.line,
      column: position.col,
      ...(hint === undefined ? {} : { hint }),
    });
  }
  const toPosition = (range: Range | null | undefined): SourcePosition | undefined => {
    if (range === null || range === undefined) return undefined;
    const { line, col } = lineCounter.linePos(range[0]);
    return { line, column: col };
  };
  const locate: Locator = (path: FieldPath, key: boolean) => {
    for (let depth = path.length; depth > 0; depth--) {
      const prefix = path.slice(0, depth);
      if (key && depth === path.length) {
        const parent = nodeAt(doc.contents, prefix.slice(0, -1));
        const keyNode = isMap(parent)
          ? pairFor(parent, prefix.at(-1)!)?.key as Node | undefined
          : undefined;
        if (keyNode?.range) return toPosition(keyNode.range);
      }
      const node = nodeAt(doc.contents, prefix);
      if (node?.range) return toPosition(node.range);
    }
    return toPosition((doc.contents as Node | null)?.range);
  };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (!(error instanceof ReferenceError) || !/Excessive alias count/.test(error.message)) {
      throw error;
    }
    throw new PipelineFileError(
      file,
      `invalid YAML: uses too many aliases (more than ${MAX_ALIAS_COUNT} expansions of '*name'), as an alias bomb does`,
      { displayFile, hint: "write the repeated values out, or use fewer aliases" },
    );
  }
  return { data, locate };
}

/**
 * Where the first key that repeats an earlier key of its map starts, or
 * `null`: as the `yaml` package's `uniqueKeys` check (scalar keys with the
 * same value; other keys are never equal), in one pass per map instead of
 * comparing each key with every earlier one.
 */
export function firstDuplicateKey(root: unknown): number | null {
  let first: number | null = null;
  if (root === null || root === undefined) return null;
  visit(root as Node, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const { key } of map.items) {
        // NaN equals nothing, as with `===`.
        if (!isScalar(key) || Number.isNaN(key.value)) continue;
        if (!seen.has(key.value)) {
          seen.add(key.value);
          continue;
        }
        const at = key.range?.[0];
        if (at !== undefined && (first === null || at < first)) first = at;
      }
    },
  });
  return first;
}

/**
 * The node at `path`, matching map keys by their text so that a field path's
 * `"1"` finds the YAML key `1` (and `"true"` the key `true`).
 */
function nodeAt(root: unknown, path: FieldPath): Node | undefined {
  let node = root;
  for (const part of path) {
    if (isMap(node)) {
      node = pairFor(node, part)?.value;
    } else if (isSeq(node) && typeof part === "number") {
      node = node.items[part];
    } else {
      return undefined;
    }
  }
  return (node ?? undefined) as Node | undefined;
}

/** The pair of `map` whose scalar key reads as `key`. */
function pairFor(map: YAMLMap, key: string | number): Pair | undefined {
  return map.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
