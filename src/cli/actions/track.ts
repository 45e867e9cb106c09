import { trackPaths } from "../../ops/track_paths.ts";
import { formatBytes, plural } from "../../util/format_bytes.ts";
import { shellQuote } from "../../util/shell_quote.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { untilStopped } from "../stop_signals.ts";

/** `pivot track`: caches paths no stage produces and records them in `.pvt` files. */
export async function trackAction(
  ctx: CliContext,
  paths: string[],
  options: { force?: true },
): Promise<void> {
  const results = await untilStopped(ctx, "tracking", async (signal) => {
    await using session = await openForCommand(ctx, {
      signal,
      all: true,
      pipelinesOptional: true,
      showWarnings: false,
    });
    return await trackPaths(session, paths, { force: options.force ?? false, signal });
  });
  // Data git holds too would be kept twice (and pushed to the git remote): say so even with -q.
  const inGit = results.filter((result) => result.inGit);
  for (const result of inGit) {
    ctx.warn(
      `${result.gitPath} is in git too: take it out of git's index, the cache holds it now`,
    );
  }
  if (ctx.quiet()) return;
  const toAdd = new Set<string>();
  for (const result of results) {
    const what = result.path.endsWith("/")
      ? `${plural(result.files, "file")}, ${formatBytes(result.size)}`
      : formatBytes(result.size);
    ctx.stdout(`${result.status} ${result.path} (${what}) → ${result.pvt}\n`);
    result.gitAdd.forEach((file) => toAdd.add(file));
  }
  const commands = [
    ...(inGit.length === 0 ? [] : [
      `git rm${inGit.some((r) => r.path.endsWith("/")) ? " -r" : ""} --cached ${
        inGit.map((r) => shellQuote(r.gitPath)).join(" ")
      }`,
    ]),
    ...(toAdd.size === 0 ? [] : [`git add ${[...toAdd].map(shellQuote).join(" ")}`]),
  ];
  if (commands.length > 0) ctx.stdout(`hint: ${commands.join(" && ")}\n`);
}
