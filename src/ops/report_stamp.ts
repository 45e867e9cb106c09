/**
 * Report stamps: what a report command (`status`, `verify`, `list`, `dag`)
 * printed, with the signatures of everything it read (the same evidence as
 * a no-op stamp, see `noop_stamp.ts`, plus the directories searched for
 * `.pvt` files). While all of them are unchanged, the same command line
 * prints the same again, so it is answered from the stamp without loading
 * the pipeline. This module only reads stamps and must stay light: it runs
 * before the rest of pivot is loaded. `record_report_stamp.ts` writes them.
 *
 * @module
 */
import { findProjectRoot } from "../discovery/find_project_root.ts";
import { withExistingProjectDb } from "../session/existing_state_db.ts";
import type { EnvReader } from "../util/env_reader.ts";
import { openPreciseStat } from "../util/precise_stat.ts";
import { VERSION } from "../version.ts";
import {
  isEvidence,
  type NOOP_STAMP_FORMAT,
  noopStampHolds,
  type StampEvidence,
} from "./noop_stamp.ts";

/**
 * The commands whose output only depends on the project's files, each with
 * the options that keep it so (the global `-q` and `-v` may follow the
 * command too). Any other option (`status -r` and `verify --allow-missing`
 * ask a remote; `--help`; combined short flags) sends the command line the
 * full way, unrecorded.
 */
const REPORT_COMMANDS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ["status", new Set(["-a", "--all", "-e", "--explain", "--json"])],
  ["verify", new Set(["-a", "--all", "--json"])],
  ["list", new Set(["-a", "--all", "--json"])],
  ["dag", new Set(["-a", "--all", "--dot", "--mermaid", "--md", "-s", "--stages"])],
]);

/** The global flags that may come before a report command. */
const GLOBAL_FLAGS: ReadonlySet<string> = new Set(["-q", "--quiet", "-v", "--verbose"]);

/** What a report command printed, and what it read. */
export interface ReportStamp extends StampEvidence {
  readonly format: typeof NOOP_STAMP_FORMAT;
  /** When the command started reading (ms since the epoch). */
  readonly writtenMs: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The exit status. */
  readonly code: number;
}

/** What the output of a report command line depends on, besides files. */
export interface ReportQuery {
  /** The command line, without the program name. */
  readonly args: readonly string[];
  /** The real path of the directory the command runs in. */
  readonly cwd: string;
  /** The environment variables the command sees. */
  readonly env: EnvReader;
  /** True when standard output is a terminal. */
  readonly isTerminal: boolean;
}

/** What a report stamp answers: the output to print and the exit status. */
export type ReportAnswer = Pick<ReportStamp, "stdout" | "stderr" | "code">;

/**
 * True when `args` run a report command (after global flags only) whose
 * output depends only on the project's files: targets and the options
 * {@linkcode REPORT_COMMANDS} allows.
 */
export function isReportCommand(args: readonly string[]): boolean {
  const at = args.findIndex((word) => !GLOBAL_FLAGS.has(word));
  const options = at >= 0 ? REPORT_COMMANDS.get(args[at]!) : undefined;
  if (options === undefined) return false;
  return args.slice(at + 1).every((word) =>
    word === "--" ? false : !word.startsWith("-") || options.has(word) || GLOBAL_FLAGS.has(word)
  );
}

/**
 * The key of the stamp of a report command line: the pivot version, the
 * words of the command line, where it runs, the variables naming the config
 * and cache locations or affecting output, and whether output is a terminal.
 */
export function reportStampKey(query: ReportQuery): string {
  const env = ["PIVOT_CACHE_DIR", "XDG_CONFIG_HOME", "HOME", "NO_COLOR"].map((name) =>
    query.env(name)
  );
  return JSON.stringify([VERSION, "report", query.args, query.cwd, env, query.isTerminal]);
}

/** The stamp in `text`, or `null` when it is not a report stamp this build wrote. */
export function parseReportStamp(text: string): ReportStamp | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isEvidence(value)) return null;
  const stamp = value as Partial<ReportStamp>;
  const ok = typeof stamp.stdout === "string" && typeof stamp.stderr === "string" &&
    typeof stamp.code === "number";
  return ok ? stamp as ReportStamp : null;
}

/**
 * The output the stamp of `query` holds when it still holds; `null` when
 * there is no such stamp or it no longer holds.
 *
 * @throws when the project or its `state.db` cannot be read (the caller
 *   then goes the full way)
 */
export function answerReportStamp(query: ReportQuery): ReportAnswer | null {
  return withExistingProjectDb(findProjectRoot(query.cwd), (db) => {
    const text = db.getNoopStamp(reportStampKey(query));
    const stamp = text === null ? null : parseReportStamp(text);
    if (stamp === null) return null;
    using stats = openPreciseStat();
    if (!noopStampHolds(stamp, stats)) return null;
    return { stdout: stamp.stdout, stderr: stamp.stderr, code: stamp.code };
  });
}
