import type { RemoteState, RemoteStatusReport } from "../ops/remote_status.ts";
import type { CliContext } from "./cli_context.ts";
import { printSelectionProblems } from "./transfer_display.ts";

/** How each state reads, padded to one width. */
const SHOWN: Record<RemoteState, string> = {
  in_sync: "in sync",
  only_local: "only local",
  only_remote: "only remote",
  split: "split",
  missing: "missing",
};

/** The summary's words for each state, in the order they are listed. */
const COUNTED: readonly [RemoteState, string][] = [
  ["in_sync", "in sync"],
  ["only_local", "only local"],
  ["only_remote", "only remote"],
  ["split", "split between them"],
  ["missing", "missing from both"],
];

/**
 * Prints `status -r`: one line per output or tracked path that is not in
 * sync (with `-v`, every one), `only local   train:model → data/…`, then
 * the counts and a hint; with `--json` the report. Problems with the
 * targets go to stderr.
 *
 * @returns true when a target had a problem (printed on stderr)
 */
export function printRemoteStatus(
  ctx: CliContext,
  report: RemoteStatusReport,
  json: boolean,
): boolean {
  if (json) {
    ctx.stdout(`${JSON.stringify(report, null, 2)}\n`);
  } else if (!ctx.quiet()) {
    const width = Math.max(...report.items.map((item) => SHOWN[item.status].length), 0) + 2;
    const lines = report.items
      .filter((item) => item.status !== "in_sync" || ctx.verbose())
      .map((item) => `${SHOWN[item.status].padEnd(width)}${item.label}`);
    const counts = COUNTED.flatMap(([state, words]) => {
      const n = report.items.filter((item) => item.status === state).length;
      return n > 0 || state === "in_sync" ? [`${n} ${words}`] : [];
    });
    lines.push(`remote '${report.remote}' (${report.url}): ${counts.join(", ")}`);
    const has = (...states: RemoteState[]) =>
      report.items.some((item) => states.includes(item.status));
    const hints = [
      ...(has("only_local", "split") ? ["'pivot push' uploads what is only local"] : []),
      ...(has("only_remote", "split") ? ["'pivot pull' downloads what is only remote"] : []),
      ...(has("missing")
        ? [
          "what is missing from both comes back only from a clone that has it ('pivot push' there) or by producing it again ('pivot repro -f STAGE', 'pivot track --force PATH')",
        ]
        : []),
    ];
    if (hints.length > 0) lines.push(`hint: ${hints.join("; ")}`);
    ctx.stdout(`${lines.join("\n")}\n`);
  }
  return printSelectionProblems(ctx, report);
}
