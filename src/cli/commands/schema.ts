import type { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../cli_context.ts";

/** `pivot schema`. */
export function registerSchema(program: Command, ctx: CliContext): void {
  program
    .command("schema")
    .description("print the JSON Schema of pivot.yaml (for editor validation)")
    .action(async () => (await import("../actions/schema.ts")).schemaAction(ctx));
}
