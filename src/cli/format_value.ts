import { UsageError } from "../util/errors.ts";

/** Decimal places shown for fractional numbers by default (`--precision`). */
export const DEFAULT_PRECISION = 5;

/**
 * A value as a table shows it: `-` for none, integers as they are, other
 * numbers rounded to `precision` decimal places (`0.123456` → `0.12346`) and
 * to no fewer than `precision` significant digits (`0.0013431` stays
 * `0.0013431`, so a small loss and its change never show as `0`), text as it
 * is, lists and mappings as JSON.
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
  // Below 0.1, one more decimal place per leading zero keeps `precision` significant digits.
  const leadingZeros = Math.max(0, -1 - Math.floor(Math.log10(Math.abs(value))));
  return String(Number(value.toFixed(Math.min(100, precision + leadingZeros))));
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
