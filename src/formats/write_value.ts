import { stringify as stringifyCsv } from "csv-stringify/sync";
import { stringify as stringifyYaml } from "../util/yaml_lib.ts";
import type { Format } from "./format_names.ts";
import { describeValue, encodePlainValue, encodeText } from "./plain_values.ts";

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
  switch (format) {
    case "csv":
    case "tsv": {
      // Text is taken as already formatted.
      if (typeof value === "string") return encodeText(value);
      if (!Array.isArray(value) || value.some((row) => !isRow(row))) {
        throw new TypeError(`expected an array of row objects, got ${describeValue(value)}`);
      }
      const columns: string[] = [];
      for (const row of value as Record<string, unknown>[]) {
        for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
      }
      return encodeText(stringifyCsv(value as Record<string, unknown>[], {
        header: true,
        columns,
        delimiter: format === "tsv" ? "\t" : ",",
        // A row of one empty cell must not become an empty line (readers skip those).
        quoted_empty: true,
        cast: { boolean: (v: boolean) => String(v), object: (v: object) => JSON.stringify(v) },
      }));
    }
    case "yaml":
      if (value === undefined) throw new TypeError("expected a value, got undefined");
      return encodeText(stringifyYaml(value));
    default:
      return encodePlainValue(format, value);
  }
}

function isRow(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
