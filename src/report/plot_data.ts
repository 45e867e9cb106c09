import { parseValueText } from "../formats/mod.ts";
import { PivotError } from "../util/errors.ts";
import { parseCell } from "./_cell.ts";
import { isMapping } from "./flatten_values.ts";

/** The tabular formats a plot output can have. */
export type PlotDataFormat = "csv" | "tsv" | "json" | "jsonl";

/** One data point: column → value. */
export type PlotRow = Readonly<Record<string, unknown>>;

/** What {@linkcode parsePlotRows} needs to know about the file. */
export interface PlotFileOptions {
  /** Its format. */
  format: PlotDataFormat;
  /** How errors name it (`data/x.csv at HEAD~1`). */
  display: string;
}

/**
 * The rows of a plot file's `text`: csv/tsv with a header row (cells become
 * numbers, booleans or `null` where they read as such), jsonl with one object
 * a line, json as a list of objects or a mapping with one such list
 * (`{"loss": [{…}, …]}`).
 *
 * @throws {PivotError} when the text does not parse or is not a list of objects
 */
export function parsePlotRows(text: string, options: PlotFileOptions): PlotRow[] {
  const { format, display } = options;
  let value: unknown;
  try {
    value = parseValueText(text, format, display);
  } catch (error) {
    throw new PivotError((error as Error).message, {
      hint: `a ${format} plot must be valid ${format}`,
    });
  }
  if (format === "csv" || format === "tsv") {
    return (value as Record<string, string>[]).map((row) =>
      Object.fromEntries(Object.entries(row).map(([key, cell]) => [key, parseCell(cell)]))
    );
  }
  if (isMapping(value)) {
    const lists = Object.values(value).filter(Array.isArray);
    if (lists.length === 1) value = lists[0];
  }
  if (!Array.isArray(value) || !value.every(isMapping)) {
    throw new PivotError(`cannot plot ${display}: expected a list of objects (one per point)`, {
      hint: format === "json"
        ? 'write a list like [{"step": 0, "loss": 0.9}, …], or a mapping holding one such list'
        : "write one object per line",
    });
  }
  return value;
}

/** The columns of `rows`, in the order they first appear. */
export function plotColumns(rows: readonly PlotRow[]): string[] {
  const columns = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) columns.add(key);
  return [...columns];
}
