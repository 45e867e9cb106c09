/**
 * The hint for a command that did not load the pipelines in `files` (shown
 * as given; the first three): `use --all for every pipeline of the project,
 * or run in the directory of one: ml/pivot.yaml`.
 *
 * @example Usage
 * ```ts
 * import { useAllHint } from "./use_all_hint.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   useAllHint(["ml/pivot.yaml"]),
 *   "use --all for every pipeline of the project, or run in the directory of one: ml/pivot.yaml",
 * );
 * ```
 */
export function useAllHint(files: readonly string[]): string {
  return `use --all for every pipeline of the project, or run in the directory of one: ${
    files.slice(0, 3).join(", ")
  }${files.length > 3 ? ", …" : ""}`;
}
