import type { ReportItem } from "../ops/import_dvc.ts";
import { plural } from "../util/format_bytes.ts";

const LABELS: Record<ReportItem["level"], string> = {
  error: "not converted",
  warning: "changed",
  info: "note",
};

/** The report, one item per entry: label, stage, DVC text and what happened, then what to do. */
export function renderReport(items: readonly ReportItem[]): string {
  if (items.length === 0) return "";
  const lines = [`report (${plural(items.length, "item")}):`];
  for (const item of items) {
    const where = item.stage === null ? "" : `stage '${item.stage}': `;
    lines.push(`  ${LABELS[item.level].padEnd(13)}  ${where}${item.dvc}: ${item.message}`);
    if (item.fix !== null) lines.push(`  ${"".padEnd(13)}  to do: ${item.fix}`);
  }
  return `${lines.join("\n")}\n`;
}
