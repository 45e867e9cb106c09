import { parseValueText } from "../formats/mod.ts";
import { PivotError } from "../util/errors.ts";
import { parseCell } from "./_cell.ts";
import { flattenValues, isMapping } from "./flatten_values.ts";

/** The formats a metric output can have. */
export type MetricFormat = "json" | "yaml" | "csv";

/** What {@linkcode parseMetricValues} needs to know about the file. */
export interface MetricFileOptions {
  /** Its format. */
  format: MetricFormat;
  /** How errors name it (`data/x.json at HEAD~1`). */
  display: string;
}

/**
 * The metrics in a metric file's `text`, flattened to `a.b.c` keys. json and
 * yaml must hold a mapping. csv is a table with a header row: with one data
 * row its columns are the keys (`accuracy`, `loss`); with several, the first
 * column names each row and the keys are `<row name>.<column>`
 * (`cat.precision`). Cells become numbers, booleans or `null` (empty) where
 * they read as such.
 *
 * @throws {PivotError} when the text does not parse or has another shape
 */
export function parseMetricValues(
  text: string,
  options: MetricFileOptions,
): Record<string, unknown> {
  const { format, display } = options;
  let value: unknown;
  try {
    value = parseValueText(text, format, display);
  } catch (error) {
    throw new PivotError((error as Error).message, {
      hint: `a metric output must be valid ${format}`,
    });
  }
  if (format === "csv") return csvMetrics(value as Record<string, string>[], display);
  if (!isMapping(value)) {
    throw new PivotError(
      `cannot read ${display} as metrics: expected a mapping of names to values`,
    );
  }
  return flattenValues(value);
}

function csvMetrics(rows: readonly Record<string, string>[], display: string) {
  if (rows.length === 1) {
    return Object.fromEntries(
      Object.entries(rows[0]!).map(([key, cell]) => [key, parseCell(cell)]),
    );
  }
  const metrics: Record<string, unknown> = {};
  for (const [index, row] of rows.entries()) {
    const [[, name] = [], ...rest] = Object.entries(row);
    if (name === undefined || name.trim() === "") {
      throw new PivotError(
        `cannot read ${display} as metrics: row ${index + 2} has no name in its first column`,
        { hint: "a csv metric with several rows names each row in its first column" },
      );
    }
    for (const [column, cell] of rest) {
      const key = `${name.trim()}.${column}`;
      if (key in metrics) {
        throw new PivotError(`cannot read ${display} as metrics: two rows are named '${name}'`);
      }
      metrics[key] = parseCell(cell);
    }
  }
  return metrics;
}
