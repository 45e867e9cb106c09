import { openSession, type OpenSessionOptions, type Session } from "../session/mod.ts";
import type { CheckoutMode } from "../ops/option_values.ts";
import type { CliContext } from "./cli_context.ts";

/** How a command opens its project. */
export interface OpenForCommandOptions extends Omit<OpenSessionOptions, "cwd" | "warn"> {
  /**
   * Print the project's warnings (inputs that are neither present nor
   * tracked), for commands whose result they bear on. @default {true}
   */
  showWarnings?: boolean;
  /** `--checkout-mode` (commander checked it is a mode): only that mode is used. */
  checkoutMode?: string | undefined;
}

/**
 * Opens the project of the command's directory and its session (dispose of
 * it with `await using`), warnings going to the command's stderr.
 */
export async function openForCommand(
  ctx: CliContext,
  options: OpenForCommandOptions = {},
): Promise<Session> {
  const { showWarnings = true, checkoutMode, ...sessionOptions } = options;
  const session = await openSession({
    ...sessionOptions,
    ...(checkoutMode === undefined ? {} : { modes: [checkoutMode as CheckoutMode] }),
    cwd: ctx.cwd,
    warn: ctx.warn,
    env: ctx.env,
  });
  if (showWarnings) session.project.warnings.forEach(ctx.warn);
  ctx.sessionOpened?.(session);
  return session;
}
