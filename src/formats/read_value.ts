import { parse as parseCsv } from "csv-parse/sync";
import { parse as parseYaml } from "yaml";
import type { Format } from "./format_names.ts";

/**
 * Loads the file at `file` as a value of `format`, the way a `run` stage
 * receives its inputs: csv/tsv → array of row objects (strings), json/yaml →
 * the value, jsonl → array, txt/svg → string, bin/png → `Uint8Array`,
 * dir → the absolute path.
 *
 * @throws {Error} naming the file when it does not parse
 */
export async function readValue(file: string, format: Format): Promise<unknown> {
  switch (format) {
    case "dir":
      return file;
    case "bin":
    case "png":
      return await Deno.readFile(file);
    default:
      break;
  }
  return parseValueText(await Deno.readTextFile(file), format, file);
}

/**
 * Parses `text` as a value of the text format `format` (csv/tsv → array of
 * row objects of strings, json/yaml → the value, jsonl → array, txt/svg →
 * the text), as {@linkcode readValue} does for a file; `origin` names the
 * text in errors.
 *
 * @throws {Error} naming `origin` when the text does not parse
 */
export function parseValueText(
  text: string,
  format: Exclude<Format, "dir" | "bin" | "png">,
  origin: string,
): unknown {
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
      case "json":
        return JSON.parse(text);
      case "jsonl":
        return text.split("\n").filter((line) => line.trim() !== "").map((line) =>
          JSON.parse(line)
        );
      case "yaml":
        return parseYaml(text);
      case "txt":
      case "svg":
        return text;
    }
  } catch (error) {
    throw new Error(
      `cannot read ${origin} as ${format}: ${(error as Error).message.split("\n")[0]}`,
    );
  }
}
