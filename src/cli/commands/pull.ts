import { type Command, Option } from "@commander-js/extra-typings";
import { CHECKOUT_MODES } from "../../ops/option_values.ts";
import type { CliContext } from "../cli_context.ts";
import { transferOptions } from "./push.ts";

/** `pivot pull [TARGETS…]`: fetch, then check out what was fetched. */
export function registerPull(program: Command, ctx: CliContext): void {
  transferOptions(
    program
      .command("pull")
      .description("fetch the cached content of targets from a remote, then check them out")
      .argument("[targets...]", "identities (train, train:model) or tracked paths"),
  )
    .option("-f, --force", "overwrite workspace copies that differ from the recorded version")
    .addOption(
      new Option("--checkout-mode <mode>", "use exactly this mode, without fallback")
        .choices(CHECKOUT_MODES),
    )
    .action(async (targets, options) =>
      (await import("../actions/pull.ts")).pullAction(ctx, targets, options)
    );
}
