import type { ModifiedItem } from "../ops/checkout_outputs.ts";
import { listWords } from "../util/list_words.ts";
import type { CliContext } from "./cli_context.ts";
import { printProblem } from "./print_list.ts";
import { plural } from "../util/format_bytes.ts";

/**
 * Prints the paths a checkout left alone because they differ from the
 * recorded version, with `hint` saying how to overwrite or keep them.
 */
export function printNotOverwritten(
  ctx: CliContext,
  modified: readonly ModifiedItem[],
  hint: string,
): void {
  const one = modified.length === 1;
  printProblem(
    ctx,
    `${plural(modified.length, "path")} ${
      one ? "differs" : "differ"
    } from the recorded version and ${one ? "was" : "were"} not overwritten`,
    modified.map(modifiedLabel),
    hint,
  );
}

/**
 * A path that checkout left alone, with what keeps a directory from being
 * replaced: `td/ (td/extra.txt is not in the cache)`.
 */
function modifiedLabel(item: ModifiedItem): string {
  const blockers = item.notInCache;
  if (blockers.length === 0) return item.label;
  const verb = blockers.length === 1 ? "is" : "are";
  return `${item.label} (${listWords(blockers)} ${verb} not in the cache)`;
}
