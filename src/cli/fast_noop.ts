/**
 * The no-op fast path: `pivot repro` (or `run`) answered from the project's
 * no-op stamp when every file the last up-to-date run read is unchanged. It
 * runs before the rest of pivot is loaded, so it imports only small modules;
 * anything it does not recognise falls through to the full command line,
 * which reaches the same verdicts the long way.
 *
 * @module
 */
import { findProjectRoot } from "../discovery/find_project_root.ts";
import { newRunId } from "../engine/run_id.ts";
import { type NoopStamp, noopStampHolds, noopStampKey, parseNoopStamp } from "../ops/noop_stamp.ts";
import { HISTORY_SIZE, runRecordJson } from "../ops/run_record.ts";
import { StateDb } from "../storage/state_db.ts";
import type { CliContext, CliIo } from "./cli_context.ts";
import { createRunDisplay, wantsLiveDisplay } from "./run_display.ts";

/** A command line the fast path can answer. */
interface FastCommand {
  readonly mode: "repro" | "run";
  readonly targets: readonly string[];
  readonly all: boolean;
  readonly quiet: boolean;
  readonly explain: boolean;
  readonly json: boolean;
  readonly jobs: number | null;
}

/**
 * Recognises `[-q] repro|run [targets] [-q] [-a] [-e] [-k] [-j N] [--json]`;
 * `null` for anything else (other flags, bad values, help), which the full
 * command line handles and reports.
 */
export function parseFastCommand(args: readonly string[]): FastCommand | null {
  let quiet = false;
  let at = 0;
  for (; args[at] === "-q" || args[at] === "--quiet"; at++) quiet = true;
  const mode = args[at++];
  if (mode !== "repro" && mode !== "run") return null;
  const targets: string[] = [];
  let all = false;
  let explain = false;
  let json = false;
  let jobs: number | null = null;
  for (; at < args.length; at++) {
    const arg = args[at]!;
    if (!arg.startsWith("-")) targets.push(arg);
    else if (arg === "-q" || arg === "--quiet") quiet = true;
    else if (arg === "-a" || arg === "--all") all = true;
    else if (arg === "-e" || arg === "--explain") explain = true;
    else if (arg === "-k" || arg === "--keep-going") continue;
    else if (arg === "--json") json = true;
    else {
      const value = arg === "-j" || arg === "--jobs"
        ? args[++at]
        : arg.startsWith("--jobs=")
        ? arg.slice("--jobs=".length)
        : /^-j\d/.test(arg)
        ? arg.slice(2)
        : undefined;
      if (value === undefined || !/^[1-9]\d*$/.test(value)) return null;
      jobs = Number(value);
    }
  }
  if (mode === "run" && targets.length === 0) return null;
  return { mode, targets, all, quiet, explain, json, jobs };
}

/**
 * Answers `args` from a no-op stamp that still holds: prints what the full
 * run would print, records the run in the history and returns the exit
 * status; `null` when the full command line must run instead.
 */
export function runFastNoop(args: readonly string[], io: CliIo): number | null {
  const started = performance.now();
  const command = parseFastCommand(args);
  if (command === null) return null;
  let completions: NoopStamp["completions"] | null;
  try {
    completions = answerFromStamp(command, Deno.realPathSync(io.cwd), started);
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
    live: wantsLiveDisplay() && !command.json,
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

/**
 * The completions the stamp of `command` reports when it still holds, after
 * recording the run in the history; `null` when there is no such stamp.
 */
function answerFromStamp(
  command: FastCommand,
  cwd: string,
  started: number,
): NoopStamp["completions"] | null {
  const db = StateDb.openExisting(`${findProjectRoot(cwd)}/.pivot`);
  try {
    const key = noopStampKey({
      mode: command.mode,
      all: command.all,
      targets: command.targets,
      cwd,
    });
    const text = db.getNoopStamp(key);
    const stamp = text === null ? null : parseNoopStamp(text);
    if (stamp === null || !noopStampHolds(stamp)) return null;
    const runId = newRunId();
    const result = { status: "skipped", reason: "up to date", durationMs: 0, logTail: [] };
    db.addRun(
      runId,
      runRecordJson({
        runId,
        command: command.mode,
        startedAt: new Date(Date.now() - (performance.now() - started)).toISOString(),
        endedAt: new Date().toISOString(),
        targets: command.targets,
        stages: stamp.stages,
        results: new Map(stamp.stages.map((name) => [name, result])),
      }),
      HISTORY_SIZE,
    );
    return stamp.completions;
  } finally {
    db.close();
  }
}
