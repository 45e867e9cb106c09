import type { Command } from "@commander-js/extra-typings";
import { pipelineSchema } from "../../ops/mod.ts";
import type { CliContext } from "../cli_context.ts";
import { printJson } from "../print_json.ts";

/** `pivot schema`. */
export function registerSchema(program: Command, ctx: CliContext): void {
  program
    .command("schema")
    .description("print the JSON Schema of pivot.yaml (for editor validation)")
    .action(() => printJson(ctx, pipelineSchema()));
}
