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
  const text = await Deno.readTextFile(file);
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
    throw new Error(`cannot read ${file} as ${format}: ${(error as Error).message.split("\n")[0]}`);
  }
}
