/**
 * The options of `pivot repro` and `pivot run`, defined once: the command
 * tree registers them with commander, and the no-op fast path (which runs
 * before commander is loaded) parses a command line with the same table, so
 * the two cannot drift apart. Kept light: nothing here loads commander.
 *
 * @module
 */
import { UsageError } from "../util/errors.ts";

/** What the fast path does with an option. */
export type FastUse =
  /** It reads the option into the field of that name. */
  | "all"
  | "explain"
  | "json"
  | "jobs"
  | "quiet"
  /** Read as well, though a no-op answers the same with or without it. */
  | "keepGoing"
  /** A command line with it goes the full way. */
  | "decline";

/** One option: its commander flags, help text and what the fast path does with it. */
export interface ReproFlag {
  /** Commander's flags: `-j, --jobs <n>`. */
  readonly flags: string;
  readonly description: string;
  readonly fast: FastUse;
  /** Parses the option's value (for an option that takes one). */
  readonly parse?: (text: string) => number;
}

/**
 * Parses a `--jobs` value.
 *
 * @throws {UsageError} for anything but a whole number of at least 1
 */
export function parseJobs(text: string): number {
  const jobs = Number(text);
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new UsageError(`invalid --jobs '${text}': expected a whole number of at least 1`);
  }
  return jobs;
}

/**
 * Parses a `--debounce` value (milliseconds).
 *
 * @throws {UsageError} for anything but a whole number of at least 0
 */
export function parseDebounce(text: string): number {
  const ms = Number(text);
  if (text.trim() === "" || !Number.isInteger(ms) || ms < 0) {
    throw new UsageError(
      `invalid --debounce '${text}': expected milliseconds, a whole number of at least 0`,
    );
  }
  return ms;
}

/** `-q, --quiet`, an option of every command (registered on the program). */
export const QUIET_FLAG: ReproFlag = {
  flags: "-q, --quiet",
  description: "print only errors and requested data",
  fast: "quiet",
};

/** `-n, --dry-run`: `repro` only. */
export const DRY_RUN_FLAG: ReproFlag = {
  flags: "-n, --dry-run",
  description: "show what would run and why, without running",
  fast: "decline",
};

/** Watch mode's options: `repro` only. A watching command line never takes the fast path. */
export const WATCH_FLAGS: readonly ReproFlag[] = [
  {
    flags: "-w, --watch",
    description: "run, then watch the project and re-run what each change affects (Ctrl-C stops)",
    fast: "decline",
  },
  {
    flags: "--debounce <ms>",
    description: "with --watch: quiet period after a change, in ms (default: watch.debounce, 300)",
    fast: "decline",
    parse: parseDebounce,
  },
  {
    flags: "--serve",
    description: "with --watch: take JSON-RPC requests on the socket .pivot/agent.sock",
    fast: "decline",
  },
];

/** The options `repro` and `run` share, in the order `--help` lists them. */
export const REPRO_FLAGS: readonly ReproFlag[] = [
  { flags: "-a, --all", description: "every pipeline of the project, as one DAG", fast: "all" },
  {
    flags: "-e, --explain",
    description: "show what changed for each stage that runs",
    fast: "explain",
  },
  {
    flags: "-f, --force",
    description: "run the selected stages even when up to date",
    fast: "decline",
  },
  {
    flags: "-k, --keep-going",
    description: "after a failure, keep running stages that do not depend on it",
    fast: "keepGoing",
  },
  {
    flags: "-j, --jobs <n>",
    description: "stages to run at once (default: core.jobs, else the CPU count)",
    fast: "jobs",
    parse: parseJobs,
  },
  {
    flags: "--no-commit",
    description: "run without recording locks, cache or state",
    fast: "decline",
  },
  {
    flags: "--pull",
    description:
      "first fetch from the remote what lets stages be restored instead of run: outputs of up-to-date stages, run-cache entries for their inputs, missing tracked inputs",
    fast: "decline",
  },
  {
    flags: "-r, --remote <name>",
    description: "with --pull: the remote (default: default_remote, else the only one)",
    fast: "decline",
  },
  { flags: "--json", description: "print JSON Lines events", fast: "json" },
];

/** Every option of `mode`, as commander registers them and the fast path reads them. */
export function flagsOf(mode: "repro" | "run"): readonly ReproFlag[] {
  return mode === "repro" ? [DRY_RUN_FLAG, ...REPRO_FLAGS, ...WATCH_FLAGS] : REPRO_FLAGS;
}

/** A flag's names: `{ short: "-j", long: "--jobs", takesValue: true }`. */
export function flagNames(flag: ReproFlag): {
  readonly short: string | null;
  readonly long: string;
  readonly takesValue: boolean;
} {
  const names = flag.flags.split(/[ ,]+/).filter((part) => part.startsWith("-"));
  const short = names.find((name) => /^-[^-]$/.test(name)) ?? null;
  const long = names.find((name) => name.startsWith("--"))!;
  return { short, long, takesValue: /<[^>]+>/.test(flag.flags) };
}
