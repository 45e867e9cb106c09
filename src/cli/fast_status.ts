/**
 * The status fast path: `pivot status` (no targets, only display options)
 * right after a run, answered from the run's no-op stamp while it holds
 * (see `ops/status_from_noop_stamp.ts`), before the pipeline is loaded.
 * Loaded only for such a command line, after the report stamp could not
 * answer it.
 *
 * @module
 */
import { reportStampKey } from "../ops/report_stamp.ts";
import { statusFromNoopStamp, type StatusFromStamp } from "../ops/status_from_noop_stamp.ts";
import { storeReportStamp } from "../ops/store_report_stamp.ts";
import { upToDateReport } from "../ops/up_to_date_report.ts";
import type { CliContext, CliIo } from "./cli_context.ts";
import { reportQuery } from "./fast_report.ts";
import { printJson } from "./print_json.ts";
import { printStatusReports } from "./print_status_reports.ts";

/** The options of `status` this fast path answers, besides the global `-q` and `-v`. */
const OPTIONS: ReadonlySet<string> = new Set(["-a", "--all", "-e", "--explain", "--json"]);
const QUIET: ReadonlySet<string> = new Set(["-q", "--quiet"]);
const VERBOSE: ReadonlySet<string> = new Set(["-v", "--verbose"]);
const EXPLAIN: ReadonlySet<string> = new Set(["-e", "--explain"]);

/**
 * True when `args` are `status` with no targets and only options the fast
 * path answers (global flags before or after the command, not both `-q` and
 * `-v`: the full way refuses those together).
 */
export function isFastStatusLine(args: readonly string[]): boolean {
  const at = args.findIndex((word) => !QUIET.has(word) && !VERBOSE.has(word));
  const both = args.some((word) => QUIET.has(word)) && args.some((word) => VERBOSE.has(word));
  return at >= 0 && args[at] === "status" && !both &&
    args.every((word, i) => i === at || QUIET.has(word) || VERBOSE.has(word) || OPTIONS.has(word));
}

/**
 * Answers the status command line `args` from the run's no-op stamp: prints
 * what the full command prints when every stage is up to date, leaves the
 * report stamp the full command would leave, and returns its exit status;
 * `null` when the full command line must run instead.
 */
export function runFastStatus(args: readonly string[], io: CliIo): number | null {
  if (!isFastStatusLine(args)) return null;
  const since = Date.now();
  const has = (words: ReadonlySet<string>) => args.some((word) => words.has(word));
  let answer: StatusFromStamp | null;
  try {
    answer = statusFromNoopStamp({
      all: args.includes("-a") || args.includes("--all"),
      cwd: Deno.realPathSync(io.cwd),
      env: io.env,
      since,
    });
  } catch {
    // Whatever went wrong, the full command line says it the long way.
    return null;
  }
  if (answer === null) return null;
  const quiet = has(QUIET);
  const verbose = has(VERBOSE);
  let stdout = "";
  const ctx: CliContext = {
    ...io,
    stdout: (text) => {
      stdout += text;
      io.stdout(text);
    },
    quiet: () => quiet,
    verbose: () => verbose,
    warn: (message) => {
      if (!quiet) io.stderr(`warning: ${message}\n`);
    },
  };
  const reports = answer.stages.map((stage) => upToDateReport(stage));
  if (args.includes("--json")) printJson(ctx, { stages: reports, tracked: [] });
  else printStatusReports(ctx, reports, { explain: has(EXPLAIN), verb: "stale" });
  if (answer.evidence !== null) {
    try {
      // The next same command line is answered from its report stamp, as after the full way.
      const key = reportStampKey(reportQuery(args, io));
      storeReportStamp(answer.root, key, answer.evidence, since, { stdout, stderr: "", code: 0 });
    } catch {
      // A stamp only saves time.
    }
  }
  return 0;
}
