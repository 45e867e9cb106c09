/**
 * The no-op fast path: `pivot repro` (or `run`) answered from the project's
 * no-op stamp when every file the last up-to-date run read is unchanged. It
 * runs before the rest of pivot is loaded, so it imports only small modules;
 * anything it does not recognise falls through to the full command line,
 * which reaches the same verdicts the long way. Its options are read with
 * the table the command tree registers (`repro_flags.ts`).
 *
 * @module
 */
import { answerNoopStamp } from "../ops/answer_noop_stamp.ts";
import type { NoopStamp, StampLook } from "../ops/noop_stamp.ts";
import type { CliContext, CliIo } from "./cli_context.ts";
import { runFastReport } from "./fast_report.ts";
import { flagNames, flagsOf, QUIET_FLAG, type ReproFlag } from "./repro_flags.ts";

export type { StampLook };
import { createRunDisplay, wantsLiveDisplay } from "./run_display.ts";

/** A command line the fast path can answer. */
export interface FastCommand {
  readonly mode: "repro" | "run";
  readonly targets: readonly string[];
  readonly all: boolean;
  readonly quiet: boolean;
  readonly explain: boolean;
  readonly json: boolean;
  readonly jobs: number | null;
  /** `--keep-going`: nothing to a no-op, which has nothing to fail. */
  readonly keepGoing: boolean;
}

/** The flag a command-line word names, and the value it carries (`--jobs=3`, `-j3`). */
function findFlag(
  word: string,
  flags: readonly ReproFlag[],
): { flag: ReproFlag; inline: string | null } | null {
  for (const flag of flags) {
    const { short, long, takesValue } = flagNames(flag);
    if (word === long || word === short) return { flag, inline: null };
    if (!takesValue) continue;
    if (word.startsWith(`${long}=`)) return { flag, inline: word.slice(long.length + 1) };
    if (short !== null && word.startsWith(short) && word.length > 2) {
      return { flag, inline: word.slice(2) };
    }
  }
  return null;
}

/**
 * Recognises `[-q] repro|run [targets] [options]` with the options of
 * {@linkcode flagsOf}; `null` for anything else (other flags, flags the
 * fast path declines, bad values, help), which the full command line
 * handles and reports.
 */
export function parseFastCommand(args: readonly string[]): FastCommand | null {
  let at = 0;
  let quiet = false;
  for (; findFlag(args[at] ?? "", [QUIET_FLAG]) !== null; at++) quiet = true;
  const mode = args[at++];
  if (mode !== "repro" && mode !== "run") return null;
  const flags = [QUIET_FLAG, ...flagsOf(mode)];
  const parsed = {
    all: false,
    explain: false,
    json: false,
    quiet,
    keepGoing: false,
    jobs: null as number | null,
  };
  const targets: string[] = [];
  for (; at < args.length; at++) {
    const word = args[at]!;
    if (!word.startsWith("-")) {
      targets.push(word);
      continue;
    }
    const found = findFlag(word, flags);
    if (found === null) return null;
    const { flag, inline } = found;
    const use = flag.fast;
    if (use === "decline") return null;
    if (use === "jobs") {
      const value = inline ?? args[++at];
      // Only a plain count is read here; anything else is the full command line's to judge.
      if (value === undefined || !/^[1-9]\d*$/.test(value)) return null;
      parsed.jobs = flag.parse!(value);
      continue;
    }
    parsed[use] = true;
  }
  if (mode === "run" && targets.length === 0) return null;
  return { mode, targets, ...parsed };
}

/**
 * Answers `args` from a no-op stamp that still holds: prints what the full
 * run would print, records the run in the history and returns the exit
 * status. A report command (`status`, `verify`, `list`, `dag`) is answered
 * from its report stamp (`fast_report.ts`). `null` when the full command
 * line must run instead; `onChanged` then learns what changed, when the
 * stamp was found with paths changed.
 */
export function runFastNoop(
  args: readonly string[],
  io: CliIo,
  onChanged: (look: StampLook) => void = () => {},
): number | null {
  const started = performance.now();
  const command = parseFastCommand(args);
  if (command === null) return runFastReport(args, io);
  let completions: NoopStamp["completions"] | null;
  try {
    completions = answerNoopStamp(
      {
        mode: command.mode,
        all: command.all,
        targets: command.targets,
        cwd: Deno.realPathSync(io.cwd),
        env: io.env,
      },
      started,
      onChanged,
    );
  } catch {
    // Whatever went wrong, the full command line reaches the verdicts the long way.
    return null;
  }
  if (completions === null) return null;
  const ctx: CliContext = {
    ...io,
    quiet: () => command.quiet,
    verbose: () => false,
    warn: (message) => {
      if (!command.quiet) io.stderr(`warning: ${message}\n`);
    },
  };
  const display = createRunDisplay(ctx, {
    json: command.json,
    explain: command.explain,
    live: wantsLiveDisplay(io) && !command.json,
    jobs: command.jobs ?? navigator.hardwareConcurrency,
  });
  for (const completion of completions) {
    // The fields in the order of the full run's events: --json prints them as they are.
    display.onEvent({
      type: "stage_complete",
      stage: completion.stage,
      index: completion.index,
      total: completion.total,
      status: "skipped",
      reason: completion.reason,
      details: completion.details,
      duration_ms: 0,
    });
  }
  display.onEvent({
    type: "summary",
    ran: 0,
    skipped: completions.length,
    restored: 0,
    failed: 0,
    blocked: 0,
    duration_ms: Math.round(performance.now() - started),
    interrupted: false,
  });
  display.close();
  return 0;
}
