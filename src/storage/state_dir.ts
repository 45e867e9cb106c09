import * as path from "node:path";
import { atomicWrite } from "../util/atomic_write.ts";
import { existsSync } from "../util/fs.ts";
import { addGitignoreEntriesSync } from "../util/gitignore.ts";

/** The line of a state dir's `.gitignore` for damaged databases moved aside (and their -wal, -shm). */
const CORRUPT_DATABASES = "/state.db.corrupt*";

/** What a state dir's `.gitignore` holds: everything but config and lock files. */
export const STATE_DIR_GITIGNORE = [
  "# Written by pivot: keep config.yaml and stages/ (lock files) in git.",
  "/cache/",
  "/state.db",
  "/state.db-*",
  CORRUPT_DATABASES,
  "/tmp/",
  "*.tmp",
  "*.running",
  "",
].join("\n");

/**
 * Creates the state dir `<pipeline root>/.pivot` when missing, with its
 * `.gitignore`, so state databases and sentinels never end up in git.
 */
export async function ensureStateDir(stateDir: string): Promise<void> {
  const gitignore = path.join(stateDir, ".gitignore");
  if (existsSync(gitignore)) return;
  await Deno.mkdir(stateDir, { recursive: true });
  atomicWrite(gitignore, STATE_DIR_GITIGNORE);
}

/**
 * Makes sure the `.gitignore` of `stateDir` ignores damaged databases moved
 * aside there, for state dirs whose `.gitignore` an older pivot wrote
 * (called when one is moved aside, so other commands never read the file).
 */
export function ignoreCorruptDatabases(stateDir: string): void {
  addGitignoreEntriesSync(stateDir, [CORRUPT_DATABASES], STATE_DIR_GITIGNORE);
}
