import { type Command, Option } from "@commander-js/extra-typings";
import { CHECKOUT_MODES } from "../../ops/option_values.ts";
import type { CliContext } from "../cli_context.ts";

/** `pivot checkout [TARGETS…] [--all] [--force|--only-missing] [--relink] [--checkout-mode M]`. */
export function registerCheckout(program: Command, ctx: CliContext): void {
  program
    .command("checkout")
    .description("restore stage outputs (identities) and tracked paths from the cache")
    .argument(
      "[targets...]",
      "identities (train, train:model) or tracked paths (default: everything)",
    )
    .option("-a, --all", "every pipeline of the project, as one DAG")
    .option(
      "-f, --force",
      "overwrite workspace copies that differ from the recorded version and are not in the cache",
    )
    .option("--only-missing", "restore only paths that are absent")
    .option(
      "--relink",
      "re-create matching files that are not linked by the checkout mode (after changing it)",
    )
    .addOption(
      new Option("--checkout-mode <mode>", "use exactly this mode, without fallback")
        .choices(CHECKOUT_MODES),
    )
    .action(async (targets, options) =>
      (await import("../actions/checkout.ts")).checkoutAction(ctx, targets, options)
    );
}
