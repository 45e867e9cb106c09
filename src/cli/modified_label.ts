import type { ModifiedItem } from "../ops/checkout_outputs.ts";
import { listWords } from "../util/list_words.ts";

/**
 * A path that checkout left alone, with what keeps a directory from being
 * replaced: `td/ (td/extra.txt is not in the cache)`.
 */
export function modifiedLabel(item: ModifiedItem): string {
  const blockers = item.notInCache;
  if (blockers.length === 0) return item.label;
  const verb = blockers.length === 1 ? "is" : "are";
  return `${item.label} (${listWords(blockers)} ${verb} not in the cache)`;
}
