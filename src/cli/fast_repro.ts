/**
 * `pivot repro` (or `run`) with the options the no-op fast path reads, when
 * that path could not answer: a fresh run (no stamp), or a run after a change
 * it found (a few data paths changed since the command's no-op stamp). The
 * run goes straight to the project and the stages, without loading the
 * command tree and every other command (about a third of what pivot
 * imports); what the run does is the full command line's (`repro_run.ts`,
 * the project opened as its `repro` action opens it), which reports failures
 * the same way (`report_error.ts`). After a change, the stages come from the
 * graph kept with the stamp when the files the project was loaded from are
 * unchanged (see `pipeline_graph.ts`).
 *
 * @module
 */
import type { StampLook } from "../ops/noop_stamp.ts";
import type { CliContext, CliIo } from "./cli_context.ts";
import { parseFastCommand } from "./fast_noop.ts";
import { openForCommand } from "./open_for_command.ts";
import { EXIT, reportError } from "./report_error.ts";
import { runRepro } from "./repro_run.ts";

/**
 * Runs `args`, with what the fast path found changed (`look`, when it found
 * its stamp), and returns the exit status; `null` for a command line the fast
 * path does not read, which the full command line then runs.
 */
export async function runFastRepro(
  args: readonly string[],
  io: CliIo,
  look?: StampLook,
): Promise<number | null> {
  const command = parseFastCommand(args);
  if (command === null) return null;
  const ctx: CliContext = {
    ...io,
    ...(look === undefined ? {} : { stampLook: look }),
    quiet: () => command.quiet,
    verbose: () => false,
    warn: (message) => {
      if (!command.quiet) io.stderr(`warning: ${message}\n`);
    },
  };
  try {
    const startedMs = Date.now();
    await using session = await openForCommand(ctx, {
      all: command.all,
      parsesStageCode: true,
      ...(look === undefined
        ? {}
        : { reuseGraph: { ...look.stamp, key: look.key, changed: look.changed } }),
    });
    await runRepro(ctx, session, {
      mode: command.mode,
      targets: command.targets,
      all: command.all,
      force: false,
      keepGoing: command.keepGoing,
      jobs: command.jobs ?? undefined,
      noCommit: false,
      json: command.json,
      explain: command.explain,
      startedMs,
    });
    return EXIT.ok;
  } catch (error) {
    return reportError(error, ctx, false);
  }
}
