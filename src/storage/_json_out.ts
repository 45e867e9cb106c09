/**
 * Metadata as pretty-printed JSON, the form lock files are written in. JSON
 * is YAML 1.2, so every YAML reader (an older pivot's included) reads it
 * as the same data, while `JSON.parse` reads it about two hundred times
 * faster than the `yaml` package does YAML (1,000 locks: 2 ms against
 * 440 ms). Keys keep the order given, one field per line, so a lock's diff
 * in git shows the fields that changed.
 *
 * @module
 */
import { parseMetadataYaml, yamlSafeJson } from "./_yaml_out.ts";

/** Text that may be JSON: an object, after optional white space. */
const JSON_OBJECT_START = /^\s*\{/;

/**
 * `data` as JSON with a two-space indent and a final newline (characters
 * YAML cannot hold raw escaped), or `null` when JSON cannot hold it (an
 * infinite or NaN number: YAML can, so the caller writes YAML then).
 */
export function metadataJson(data: unknown): string | null {
  const text = JSON.stringify(data, null, 2);
  // JSON writes an infinite or NaN number as `null`: only text with a `null` may hold one
  // (a lock has none, unless a param is null), and only that text is looked at value by value.
  if (text.includes("null") && !allFinite(data)) return null;
  return `${yamlSafeJson(text)}\n`;
}

/** False when `data`, as JSON writes it, holds an infinite or NaN number. */
function allFinite(data: unknown): boolean {
  let finite = true;
  JSON.stringify(data, (_key, value) => {
    if (typeof value === "number" && !Number.isFinite(value)) finite = false;
    return value;
  });
  return finite;
}

/** True when `text` looks like JSON (an object): {@linkcode parseMetadata} tries `JSON.parse` first. */
export function looksLikeJson(text: string): boolean {
  return JSON_OBJECT_START.test(text);
}

/**
 * Parses metadata text written as JSON (read with `JSON.parse`) or as YAML
 * (anything else, and JSON-like text that `JSON.parse` refuses).
 *
 * @throws {PivotError} `not valid YAML: <the parser's first line>`
 */
export async function parseMetadata(text: string): Promise<unknown> {
  if (looksLikeJson(text)) {
    try {
      return JSON.parse(text);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      // A flow mapping that is YAML but not JSON: the YAML parser reads it, or says why not.
    }
  }
  return await parseMetadataYaml(text);
}
