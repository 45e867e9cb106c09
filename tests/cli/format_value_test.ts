import assert from "node:assert/strict";
import { formatChange, formatValue } from "../../src/cli/format_value.ts";

Deno.test("formatValue rounds to the precision's decimal places from 0.1 up", () => {
  assert.equal(formatValue(0.123456, 5), "0.12346");
  assert.equal(formatValue(12.3456789, 5), "12.34568");
  assert.equal(formatValue(-0.5, 5), "-0.5");
  assert.equal(formatValue(3, 5), "3");
  assert.equal(formatValue(0.123456, 2), "0.12");
});

Deno.test("formatValue keeps the precision's significant digits below 0.1, so close values stay apart", () => {
  assert.equal(formatValue(0.00134, 5), "0.00134");
  assert.equal(formatValue(0.0013431, 5), "0.0013431");
  assert.equal(formatValue(0.001343149, 5), "0.0013431");
  assert.equal(formatValue(-0.0456789, 3), "-0.0457");
  assert.equal(formatValue(0.0000031, 5), "0.0000031");
  assert.equal(formatValue(1.5e-200, 5), "1.5e-200");
  assert.equal(formatValue(0.0012345, 0), "0.001");
});

Deno.test("formatChange shows a small change instead of +0", () => {
  assert.equal(formatChange(0.0000031, 0.2313, 5), "+0.0000031 (+0.23%)");
  assert.equal(formatChange(-0.05, -6.25, 5), "-0.05 (-6.25%)");
  assert.equal(formatChange(0.004, 0.001234, 5), "+0.004 (+0.0012%)");
});
