/**
 * The report fast path: `pivot status`, `verify`, `list` and `dag` answered
 * from the report stamp their command line left (see `ops/report_stamp.ts`)
 * while every file it read is unchanged, and the recording of that stamp
 * after the full command. The answer runs before the rest of pivot is
 * loaded, so this module imports only small modules.
 *
 * @module
 */
import {
  answerReportStamp,
  isReportCommand,
  type ReportAnswer,
  type ReportQuery,
} from "../ops/report_stamp.ts";
import type { CliIo } from "./cli_context.ts";

/** The query of the report command line `args` run with `io`. */
export function reportQuery(args: readonly string[], io: CliIo): ReportQuery {
  return {
    args,
    cwd: Deno.realPathSync(io.cwd),
    env: io.env,
    isTerminal: io.isTerminal(),
  };
}

/**
 * Answers the report command line `args` from its stamp: prints what the
 * full command printed and returns its exit status; `null` when the full
 * command line must run instead.
 */
export function runFastReport(args: readonly string[], io: CliIo): number | null {
  if (!isReportCommand(args)) return null;
  let answer: ReportAnswer | null;
  try {
    answer = answerReportStamp(reportQuery(args, io));
  } catch {
    // Whatever went wrong, the full command line says it the long way.
    return null;
  }
  if (answer === null) return null;
  if (answer.stdout !== "") io.stdout(answer.stdout);
  if (answer.stderr !== "") io.stderr(answer.stderr);
  return answer.code;
}
