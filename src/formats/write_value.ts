import { stringify as stringifyCsv } from "csv-stringify/sync";
import { stringify as stringifyYaml } from "yaml";
import type { Format } from "./format_names.ts";

/**
 * Writes `value` to `file` in `format`: csv/tsv from an array of row objects
 * (columns in first-seen order) or as given when it is text, json pretty-printed, jsonl one value per
 * line, yaml, txt/svg from a string, bin/png from bytes.
 *
 * @throws {TypeError} when the value does not fit the format (the message says what was expected)
 */
export async function writeValue(file: string, format: Format, value: unknown): Promise<void> {
  await Deno.writeFile(file, encodeValue(format, value));
}

/** The bytes {@linkcode writeValue} writes. */
export function encodeValue(format: Format, value: unknown): Uint8Array {
  const text = (content: string) => new TextEncoder().encode(content);
  switch (format) {
    case "csv":
    case "tsv": {
      // Text is taken as already formatted.
      if (typeof value === "string") return text(value);
      if (!Array.isArray(value) || value.some((row) => !isRow(row))) {
        throw new TypeError(`expected an array of row objects, got ${describe(value)}`);
      }
      const columns: string[] = [];
      for (const row of value as Record<string, unknown>[]) {
        for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
      }
      return text(stringifyCsv(value as Record<string, unknown>[], {
        header: true,
        columns,
        delimiter: format === "tsv" ? "\t" : ",",
        // A row of one empty cell must not become an empty line (readers skip those).
        quoted_empty: true,
        cast: { boolean: (v: boolean) => String(v), object: (v: object) => JSON.stringify(v) },
      }));
    }
    case "json":
      return text(`${toJson(value, 2)}\n`);
    case "jsonl":
      if (!Array.isArray(value)) throw new TypeError(`expected an array, got ${describe(value)}`);
      return text(value.map((item) => `${toJson(item)}\n`).join(""));
    case "yaml":
      if (value === undefined) throw new TypeError("expected a value, got undefined");
      return text(stringifyYaml(value));
    case "txt":
    case "svg":
      if (typeof value !== "string") {
        throw new TypeError(`expected a string, got ${describe(value)}`);
      }
      return text(value);
    case "bin":
    case "png":
      if (value instanceof Uint8Array) return value;
      if (value instanceof ArrayBuffer) return new Uint8Array(value);
      throw new TypeError(`expected a Uint8Array, got ${describe(value)}`);
    case "dir":
      throw new TypeError(
        "a dir output cannot be returned; write the files under paths.outs and return nothing",
      );
  }
}

/** `JSON.stringify`, refusing values it would silently turn into nothing. */
function toJson(value: unknown, indent?: number): string {
  const json = JSON.stringify(value, null, indent);
  if (json === undefined) throw new TypeError(`expected a JSON value, got ${describe(value)}`);
  return json;
}

function isRow(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Uint8Array) return "bytes";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
