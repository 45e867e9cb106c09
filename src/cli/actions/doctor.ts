import { type DoctorCheck, runDoctor } from "../../ops/doctor.ts";
import { ReportedFailure } from "../../util/errors.ts";
import type { CliContext } from "../cli_context.ts";
import { printJson } from "../print_json.ts";
import { wantsLiveDisplay } from "../run_display.ts";

const MARKS = {
  plain: { ok: "ok  ", warning: "WARN", error: "FAIL" },
  terminal: { ok: "\x1b[32m✓\x1b[0m", warning: "\x1b[33m!\x1b[0m", error: "\x1b[31m✗\x1b[0m" },
} as const;

/** One line per check (`ok  deno: Deno 2.9.6`), and the fix below a failure or warning. */
export function renderChecks(checks: readonly DoctorCheck[], terminal: boolean): string {
  const marks = terminal ? MARKS.terminal : MARKS.plain;
  const indent = terminal ? "  " : "      ";
  const lines: string[] = [];
  for (const check of checks) {
    lines.push(`${marks[check.status]} ${check.name}: ${check.detail}`);
    if (check.fix !== null) lines.push(`${indent}fix: ${check.fix}`);
  }
  const failed = checks.filter((check) => !check.ok).length;
  const warned = checks.filter((check) => check.status === "warning").length;
  lines.push(
    failed === 0
      ? `all ${checks.length} checks passed${warned === 0 ? "" : ` (${warned} with a warning)`}`
      : `${failed} of ${checks.length} checks failed`,
  );
  return `${lines.join("\n")}\n`;
}

/** `pivot doctor`: checks the environment (and with `--remote` the remotes). */
export async function doctorAction(
  ctx: CliContext,
  options: { remote?: true; json?: true },
): Promise<void> {
  const checks = await runDoctor(ctx.cwd, {
    remote: options.remote ?? false,
    env: ctx.env,
  });
  if (options.json) printJson(ctx, checks);
  else if (!ctx.quiet() || checks.some((check) => !check.ok)) {
    ctx.stdout(renderChecks(checks, wantsLiveDisplay(ctx)));
  }
  if (checks.some((check) => !check.ok)) throw new ReportedFailure("doctor found problems");
}
