import type { Session } from "../session/mod.ts";
import type { CliContext } from "./cli_context.ts";
import { formatValue, parsePrecision } from "./format_value.ts";
import { openForCommand } from "./open_for_command.ts";
import { printJson } from "./print_json.ts";
import { formatTable } from "./print_table.ts";
import { comparedLabels } from "./report_options.ts";

/** Flags of `pivot metrics diff` and `pivot params diff`. */
export interface ValueDiffFlags {
  /** `-t/--target`: stages or outputs (repeatable). */
  target: string[];
  /** `--all`: every pipeline of the project. */
  all?: true;
  /** `-u/--unchanged`: also list what did not change. */
  unchanged?: true;
  /** `--precision N`, as typed. */
  precision: string;
  /** `--md`: a Markdown table. */
  md?: true;
  /** `--json`. */
  json?: true;
}

/** One compared value, as both diffs report it. */
interface ValueChange {
  readonly key: string;
  readonly old: unknown;
  readonly new: unknown;
}

/** What a value diff op returns: the two versions and the compared values. */
interface ValueDiff<C extends ValueChange> {
  readonly old: { readonly rev: string };
  readonly new: { readonly rev: string };
  readonly changes: readonly C[];
}

/** What differs between the metrics and the params diff commands. */
export interface ValueDiffKind<C extends ValueChange> {
  /** The op comparing two versions. */
  compare(
    session: Session,
    options: { from: string; to: string | null; targets: string[]; unchanged: boolean },
  ): Promise<ValueDiff<C>>;
  /** `metric`: in "no metric changes between …". */
  readonly noun: string;
  /** The first two column headings: what holds the value, and its key. */
  readonly heading: readonly [string, string];
  /** The first column of a change's row. */
  owner(change: C): string;
  /** The last column of a change's row. */
  describe(change: C, precision: number): string;
}

/**
 * Runs a value diff command: compares `from` and `to` (the workspace when
 * undefined) and prints the changes as JSON, a table or Markdown.
 */
export async function valueDiffAction<C extends ValueChange>(
  ctx: CliContext,
  from: string,
  to: string | undefined,
  flags: ValueDiffFlags,
  kind: ValueDiffKind<C>,
): Promise<void> {
  const precision = parsePrecision(flags.precision);
  await using session = await openForCommand(ctx, { all: flags.all ?? false });
  const diff = await kind.compare(session, {
    from,
    to: to ?? null,
    targets: flags.target,
    unchanged: flags.unchanged ?? false,
  });
  if (flags.json) return printJson(ctx, diff);
  if (diff.changes.length === 0) {
    return ctx.stdout(`no ${kind.noun} changes between ${comparedLabels(diff)}\n`);
  }
  const rows = diff.changes.map((change) => [
    kind.owner(change),
    change.key,
    formatValue(change.old, precision),
    formatValue(change.new, precision),
    kind.describe(change, precision),
  ]);
  ctx.stdout(
    formatTable([...kind.heading, diff.old.rev, diff.new.rev, "Change"], rows, {
      markdown: flags.md ?? false,
    }),
  );
}
