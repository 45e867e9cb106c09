import * as path from "node:path";
import { getAtRevision } from "../../ops/get_at_revision.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { printJson } from "../print_json.ts";
import { untilStopped } from "../stop_signals.ts";

const SOURCES = { cache: "the cache", remote: "the remote", git: "git" } as const;

/** `pivot get`: copies outputs or paths as a git revision recorded them. */
export async function getAction(
  ctx: CliContext,
  targets: string[],
  options: {
    rev: string;
    output?: string;
    force?: true;
    remote?: string;
    all?: true;
    json?: true;
  },
): Promise<void> {
  const report = await untilStopped(ctx, "the get", async (signal) => {
    await using session = await openForCommand(ctx, {
      signal,
      all: options.all ?? false,
      pipelinesOptional: true,
      showWarnings: false,
    });
    return await getAtRevision(session, {
      rev: options.rev,
      targets,
      output: options.output === undefined ? null : path.resolve(ctx.cwd, options.output),
      force: options.force ?? false,
      remote: options.remote,
      signal,
    });
  });
  if (options.json) return printJson(ctx, report);
  if (ctx.quiet()) return;
  for (const item of report.items) {
    const where = item.target === item.path || item.target.endsWith(` → ${item.path}`)
      ? item.target
      : `${item.path}: ${item.target}`;
    ctx.stdout(
      `${item.status === "written" ? "wrote" : "unchanged"} ${where} as of ${report.rev} (${
        item.status === "written" ? `from ${SOURCES[item.source]}` : "already that version"
      })\n`,
    );
  }
}
