import { pipelineSchema } from "../../ops/project_location.ts";
import type { CliContext } from "../cli_context.ts";
import { printJson } from "../print_json.ts";

/** `pivot schema`: prints the JSON Schema of `pivot.yaml`. */
export function schemaAction(ctx: CliContext): void {
  printJson(ctx, pipelineSchema());
}
