/**
 * Reading and writing values in the formats that need no library (json,
 * jsonl, txt, svg, bin, png, dir): a stage worker whose jobs use only these
 * never loads the csv and yaml libraries (tens of milliseconds to import).
 * `read_value.ts` and `write_value.ts` hand these formats here.
 *
 * @module
 */
import type { Format } from "./format_names.ts";

/** The formats read and written with a library: csv, tsv and yaml. */
export type LibraryFormat = "csv" | "tsv" | "yaml";

/** The formats read and written without a library. */
export type PlainFormat = Exclude<Format, LibraryFormat>;

/** True when `format` is read and written without a library. */
export function isPlainFormat(format: Format): format is PlainFormat {
  return format !== "csv" && format !== "tsv" && format !== "yaml";
}

/** `readValueSync` (see `read_value.ts`) of a plain format. */
export function readPlainValueSync(file: string, format: PlainFormat): unknown {
  switch (format) {
    case "dir":
      return file;
    case "bin":
    case "png":
      return Deno.readFileSync(file);
    default:
      return parsePlainText(Deno.readTextFileSync(file), format, file);
  }
}

/** `parseValueText` (see `read_value.ts`) of a plain text format. */
export function parsePlainText(
  text: string,
  format: Exclude<PlainFormat, "dir" | "bin" | "png">,
  origin: string,
): unknown {
  try {
    switch (format) {
      case "json":
        return JSON.parse(text);
      case "jsonl":
        return text.split("\n").filter((line) => line.trim() !== "").map((line) =>
          JSON.parse(line)
        );
      case "txt":
      case "svg":
        return text;
    }
  } catch (error) {
    throw readError(origin, format, error);
  }
}

/**
 * The error for text `origin` that does not parse as `format`, on one line:
 * the JSON parser's message with the line breaks of the text it quotes
 * written `\n`, or the first line of another parser's (the rest is a code frame).
 */
export function readError(origin: string, format: Format, error: unknown): Error {
  const message = (error as Error).message;
  const detail = error instanceof SyntaxError && (format === "json" || format === "jsonl")
    ? message.replace(/\r?\n/g, "\\n")
    : message.split("\n")[0]!;
  return new Error(`cannot read ${origin} as ${format}: ${detail}`);
}

/** `encodeValue` (see `write_value.ts`) of a plain format. */
export function encodePlainValue(format: PlainFormat, value: unknown): Uint8Array {
  switch (format) {
    case "json":
      return encodeText(`${toJson(value, 2)}\n`);
    case "jsonl":
      if (!Array.isArray(value)) {
        throw new TypeError(`expected an array, got ${describeValue(value)}`);
      }
      return encodeText(value.map((item) => `${toJson(item)}\n`).join(""));
    case "txt":
    case "svg":
      if (typeof value !== "string") {
        throw new TypeError(`expected a string, got ${describeValue(value)}`);
      }
      return encodeText(value);
    case "bin":
    case "png":
      if (value instanceof Uint8Array) return value;
      if (value instanceof ArrayBuffer) return new Uint8Array(value);
      throw new TypeError(`expected a Uint8Array, got ${describeValue(value)}`);
    case "dir":
      throw new TypeError(
        "a dir output cannot be returned; write the files under paths.outs and return nothing",
      );
  }
}

/** `text` as UTF-8. */
export function encodeText(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** What `value` is, for an error: `null`, `an array`, `bytes`, `an object`, `a string`… */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Uint8Array) return "bytes";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** `JSON.stringify`, refusing values it would silently turn into nothing. */
function toJson(value: unknown, indent?: number): string {
  const json = JSON.stringify(value, null, indent);
  if (json === undefined) throw new TypeError(`expected a JSON value, got ${describeValue(value)}`);
  return json;
}
