import { parse as parseCsv } from "csv-parse/sync";
import { parse as parseYaml } from "../util/yaml_lib.ts";
import type { Format } from "./format_names.ts";
import { isPlainFormat, parsePlainText, readError, readPlainValueSync } from "./plain_values.ts";

/**
 * Loads the file at `file` as a value of `format`, the way a `run` stage
 * receives its inputs (when the function first uses one): csv/tsv → array
 * of row objects (strings), json/yaml → the value, jsonl → array, txt/svg →
 * string, bin/png → `Uint8Array`, dir → the absolute path.
 *
 * @throws {Error} naming the file when it does not parse
 */
export function readValueSync(file: string, format: Format): unknown {
  if (isPlainFormat(format)) return readPlainValueSync(file, format);
  return parseValueText(Deno.readTextFileSync(file), format, file);
}

/**
 * Parses `text` as a value of the text format `format` (csv/tsv → array of
 * row objects of strings, json/yaml → the value, jsonl → array, txt/svg →
 * the text), as {@linkcode readValueSync} does for a file; `origin` names the
 * text in errors.
 *
 * @throws {Error} naming `origin` when the text does not parse
 */
export function parseValueText(
  text: string,
  format: Exclude<Format, "dir" | "bin" | "png">,
  origin: string,
): unknown {
  if (isPlainFormat(format)) return parsePlainText(text, format, origin);
  try {
    switch (format) {
      case "csv":
      case "tsv":
        return parseCsv(text, {
          columns: true,
          delimiter: format === "tsv" ? "\t" : ",",
          skip_empty_lines: true,
          bom: true,
        });
      case "yaml":
        return parseYaml(text);
    }
  } catch (error) {
    throw readError(origin, format, error);
  }
}
