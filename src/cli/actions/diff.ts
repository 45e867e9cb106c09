import { DEFAULT_MAX_ROWS, diffData } from "../../ops/diff_data.ts";
import { ReportedFailure } from "../../util/errors.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { printJson } from "../print_json.ts";
import { renderDataDiff } from "../render_data_diff.ts";

/** `pivot diff`: compares two versions of a data output or tracked path. */
export async function diffAction(
  ctx: CliContext,
  target: string,
  from: string,
  to: string | undefined,
  options: {
    key?: string;
    maxRows?: number;
    remote?: string;
    all?: true;
    exitCode?: true;
    md?: true;
    json?: true;
    partitionSize?: number;
  },
): Promise<void> {
  const key = options.key === undefined
    ? null
    : options.key.split(",").map((column) => column.trim()).filter((column) => column !== "");
  await using session = await openForCommand(ctx, {
    all: options.all ?? false,
    pipelinesOptional: true,
    showWarnings: false,
  });
  const diff = await diffData(session, {
    target,
    from,
    to: to ?? null,
    key,
    maxRows: options.maxRows ?? DEFAULT_MAX_ROWS,
    remote: options.remote,
    ...(options.partitionSize === undefined || options.partitionSize === 0
      ? {}
      : { partitionBytes: options.partitionSize }),
  });
  if (options.json) printJson(ctx, diff);
  else ctx.stdout(renderDataDiff(diff, { markdown: options.md ?? false }));
  if (options.exitCode && !diff.equal) throw new ReportedFailure("the versions differ");
}
