/**
 * The type of a column, inferred from every value in it.
 *
 * Vocabulary: `integer`, `number`, `boolean`, `string`, `array`, `object`,
 * `mixed`, `null` and `empty`. A csv/tsv cell is `empty` when it is blank
 * (spaces only), `boolean` for `true`/`false` in any case, `integer` for
 * digits with an optional sign, `number` for any other decimal number
 * (`1.5`, `-2e3`, `.5`), else `string` (cells are trimmed first). A JSON
 * value has its JSON type (`null` for a missing key; a number is `integer`
 * when it has no fraction). A column's type joins its values' types,
 * leaving out empty cells and nulls: `integer` and `number` make `number`;
 * other mixtures are `string` in csv/tsv (all cells are text) and `mixed`
 * in json/jsonl; a column with nothing but empty cells is `empty` (csv/tsv),
 * with nothing but nulls `null` (json/jsonl).
 *
 * @module
 */

/** A column's inferred type. */
export type ColumnType =
  | "integer"
  | "number"
  | "boolean"
  | "string"
  | "array"
  | "object"
  | "mixed"
  | "null"
  | "empty";

/** The kind bit of an empty cell, a `null` or a missing value. */
export const NULL_KIND = 1;
const NULL = NULL_KIND;
const BOOLEAN = 2;
const INTEGER = 4;
const NUMBER = 8;
const STRING = 16;
const ARRAY = 32;
const OBJECT = 64;

const INTEGER_TEXT = /^[+-]?\d+$/;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The kind bit of a csv/tsv cell's text. */
export function cellKind(text: string): number {
  const trimmed = text.trim();
  if (trimmed === "") return NULL;
  const first = trimmed.charCodeAt(0);
  // Digits, a sign or a dot may start a number; anything else is text or a boolean.
  if ((first >= 48 && first <= 57) || first === 43 || first === 45 || first === 46) {
    if (INTEGER_TEXT.test(trimmed)) return INTEGER;
    if (NUMBER_TEXT.test(trimmed)) return NUMBER;
    return STRING;
  }
  const lower = trimmed.toLowerCase();
  return lower === "true" || lower === "false" ? BOOLEAN : STRING;
}

/** The kind bit of a JSON value (`undefined`: a missing key). */
export function valueKind(value: unknown): number {
  if (value === null || value === undefined) return NULL;
  switch (typeof value) {
    case "boolean":
      return BOOLEAN;
    case "number":
      return Number.isInteger(value) ? INTEGER : NUMBER;
    case "string":
      return STRING;
    default:
      return Array.isArray(value) ? ARRAY : OBJECT;
  }
}

/** The type of a column whose values had the kind bits `mask`. */
export function columnType(mask: number, text: boolean): ColumnType {
  const kinds = mask & ~NULL;
  if (kinds === 0) return text ? "empty" : "null";
  if ((kinds & ~(INTEGER | NUMBER)) === 0) return kinds === INTEGER ? "integer" : "number";
  switch (kinds) {
    case BOOLEAN:
      return "boolean";
    case STRING:
      return "string";
    case ARRAY:
      return "array";
    case OBJECT:
      return "object";
    default:
      return text ? "string" : "mixed";
  }
}
