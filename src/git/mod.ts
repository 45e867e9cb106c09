/**
 * Git, read through the `git` executable: revisions, trees and file contents
 * of commits. Knows nothing of pivot.
 *
 * @module
 */
export * from "./git_repo.ts";
export * from "./paths_in_index.ts";
