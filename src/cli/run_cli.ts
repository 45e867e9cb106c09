import { Command, CommanderError } from "@commander-js/extra-typings";
import { dvcHabitHint } from "./dvc_habits.ts";
import type { CliContext, CliIo } from "./cli_context.ts";
import type { Candidate } from "../ops/target_candidates.ts";
import { addCompletions } from "./completion.ts";
import { QUIET_FLAG } from "./repro_flags.ts";
import { registerCheckout } from "./commands/checkout.ts";
import { registerDag } from "./commands/dag.ts";
import { registerDiff } from "./commands/diff.ts";
import { registerDoctor } from "./commands/doctor.ts";
import { registerCommit } from "./commands/commit.ts";
import { registerConfig } from "./commands/config.ts";
import { registerExport } from "./commands/export.ts";
import { registerGc } from "./commands/gc.ts";
import { registerGet } from "./commands/get.ts";
import { registerHistory } from "./commands/history.ts";
import { registerImportDvc } from "./commands/import_dvc.ts";
import { registerInit } from "./commands/init.ts";
import { registerList } from "./commands/list.ts";
import { registerMetrics } from "./commands/metrics.ts";
import { registerParams } from "./commands/params.ts";
import { registerPlots } from "./commands/plots.ts";
import { registerPull } from "./commands/pull.ts";
import { registerPush } from "./commands/push.ts";
import { registerRemote } from "./commands/remote.ts";
import { registerRepro } from "./commands/repro.ts";
import { registerSchema } from "./commands/schema.ts";
import { registerStatus } from "./commands/status.ts";
import { registerVerify } from "./commands/verify.ts";
import { registerTrack } from "./commands/track.ts";
import { VERSION } from "../version.ts";
import { isReportCommand } from "../ops/report_stamp.ts";
import type { ReportRecorder } from "./report_recorder.ts";
import { EXIT, reportError } from "./report_error.ts";
import { UsageError } from "../util/errors.ts";

export { VERSION };

export { EXIT };

/**
 * Builds the command tree; `candidates` feed target completion. The tree
 * holds each command's flags and help (`commands/`); a command's action is
 * imported when it runs (`actions/`), so a process loads only its command's work.
 */
export function buildProgram(
  ctx: CliContext,
  candidates: readonly Candidate[] = [],
  args: readonly string[] = [],
) {
  const program = new Command()
    .name("pivot")
    .description("content-addressed, incremental data pipelines")
    .version(VERSION, "--version", "print the version")
    .option(QUIET_FLAG.flags, QUIET_FLAG.description)
    .option("-v, --verbose", "print more detail (and stack traces on internal errors)")
    .helpOption("-h, --help", "show help")
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: ctx.stdout,
      writeErr: ctx.stderr,
      // A DVC habit's hint names pivot's command: commander's guess would contradict it.
      outputError: (text, write) => write(inPivotWords(text, dvcHabitHint(args, text) === null)),
    })
    .exitOverride();
  program.hook("preAction", () => {
    const { quiet, verbose } = program.opts();
    if (quiet && verbose) {
      throw new UsageError("-q/--quiet and -v/--verbose cannot be used together");
    }
  });
  registerInit(program, ctx);
  registerRepro(program, ctx);
  registerStatus(program, ctx);
  registerVerify(program, ctx);
  registerCommit(program, ctx);
  registerList(program, ctx);
  registerDag(program, ctx);
  registerTrack(program, ctx);
  registerCheckout(program, ctx);
  registerGc(program, ctx);
  registerPush(program, ctx);
  registerPull(program, ctx);
  registerRemote(program, ctx);
  registerConfig(program, ctx);
  registerHistory(program, ctx);
  registerMetrics(program, ctx);
  registerParams(program, ctx);
  registerPlots(program, ctx);
  registerDiff(program, ctx);
  registerGet(program, ctx);
  registerSchema(program, ctx);
  registerImportDvc(program, ctx);
  registerExport(program, ctx);
  registerDoctor(program, ctx);
  addCompletions(program, { candidates, stdout: ctx.stdout });
  return program;
}

/**
 * Runs pivot with `args` (without the program name) and returns the exit
 * status. Errors become `error: …` and `hint: …` lines on stderr.
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const recorder = isReportCommand(args)
    ? new (await import("./report_recorder.ts")).ReportRecorder(args, io)
    : null;
  const code = await runCommandLine(
    args,
    recorder === null ? io : { ...io, stdout: recorder.stdout, stderr: recorder.stderr },
    recorder,
  );
  recorder?.finish(code);
  return code;
}

/** {@linkcode runCli} with `io` (a report command's through `recorder`). */
async function runCommandLine(
  args: readonly string[],
  io: CliIo,
  recorder: ReportRecorder | null,
): Promise<number> {
  let quiet = false;
  let verbose = false;
  const ctx: CliContext = {
    ...io,
    quiet: () => quiet,
    verbose: () => verbose,
    warn: (message) => {
      if (!quiet) io.stderr(`warning: ${message}\n`);
    },
    ...(recorder === null ? {} : {
      sessionOpened: recorder.sessionOpened,
      stampedUpToDate: recorder.stampedUpToDate,
    }),
  };
  const candidates = args[0] === "complete"
    ? await (await import("../ops/target_candidates.ts")).targetCandidates(
      io.cwd,
      args.includes("--all") || args.includes("-a"),
      io.env,
    )
    : [];
  const program = buildProgram(ctx, candidates, args);
  program.hook("preAction", () => {
    quiet = program.opts().quiet ?? false;
    verbose = program.opts().verbose ?? false;
  });
  if (args.length === 0) {
    io.stderr(program.helpInformation());
    return EXIT.usage;
  }
  try {
    await program.parseAsync([...args], { from: "user" });
    return EXIT.ok;
  } catch (error) {
    return reportCliError(error, ctx, args);
  }
}

/**
 * A commander error in pivot's words: its suggestion line (`(Did you mean
 * status?)`, `(Did you mean one of pull, push?)`) goes on the error's own
 * line as pivot says it elsewhere (`unknown command 'stauts' (did you mean
 * 'status'?)`), or is left out when `suggest` is false; the usage hint
 * follows (see {@linkcode reportCliError}).
 */
function inPivotWords(text: string, suggest: boolean): string {
  const found = /^(error: [^\n]*)\n\(Did you mean (?:one of )?(.+)\?\)\n$/.exec(text);
  if (found === null) return text;
  if (!suggest) return `${found[1]}\n`;
  const names = found[2]!.split(", ").map((name) => `'${name}'`);
  const choice = names.length === 1
    ? names[0]
    : `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
  return `${found[1]} (did you mean ${choice}?)\n`;
}

/**
 * {@linkcode reportError}, with commander's errors (usage, help, version) of
 * the command line `args`: a DVC habit gets pivot's word for it as the hint.
 */
function reportCliError(error: unknown, ctx: CliContext, args: readonly string[]): number {
  const verbose = args.includes("-v") || args.includes("--verbose");
  return reportError(error, ctx, verbose, (error) => {
    if (!(error instanceof CommanderError)) return null;
    const done = ["commander.helpDisplayed", "commander.version", "commander.help"];
    if (done.includes(error.code)) return EXIT.ok;
    const hint = dvcHabitHint(args, error.message) ??
      "run 'pivot --help' or 'pivot <command> --help' for usage";
    ctx.stderr(`hint: ${hint}\n`);
    return EXIT.usage;
  });
}
