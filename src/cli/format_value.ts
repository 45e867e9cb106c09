import { UsageError } from "../util/errors.ts";

/** Decimal places shown for fractional numbers by default (`--precision`). */
export const DEFAULT_PRECISION = 5;

/**
 * A value as a table shows it: `-` for none, integers as they are, other
 * numbers from 0.1 up rounded to `precision` decimal places (`0.123456` →
 * `0.12346`) and below it to `precision` significant digits (`0.0013431`
 * stays `0.0013431`, so a small loss and its change never show as `0`), text
 * as it is, lists and mappings as JSON.
 */
export function formatValue(value: unknown, precision: number): string {
  if (value === null || value === undefined) return "-";
  if (typeof value === "number") return formatNumber(value, precision);
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** A signed difference: `+0.05 (+6.25%)`, `-3`, or the percentage left out when unknown. */
export function formatChange(change: number, percent: number | null, precision: number): string {
  const sign = (n: number) => (n > 0 ? "+" : "");
  const main = `${sign(change)}${formatNumber(change, precision)}`;
  return percent === null ? main : `${main} (${sign(percent)}${formatNumber(percent, 2)}%)`;
}

function formatNumber(value: number, precision: number): string {
  if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 0.1) return String(Number(value.toFixed(precision)));
  // Below 0.1, `precision` significant digits (the same places as decimals at 0.1).
  return String(Number(value.toPrecision(Math.max(1, precision))));
}

/**
 * Parses a `--precision` value: a whole number from 0 to 20.
 *
 * @throws {UsageError} for anything else
 */
export function parsePrecision(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 20) {
    throw new UsageError(`invalid --precision '${text}': expected a whole number from 0 to 20`);
  }
  return value;
}
