import * as path from "node:path";
import { atomicWrite } from "../util/atomic_write.ts";
import { existsSync } from "../util/fs.ts";

/** What a state dir's `.gitignore` holds: everything but config and lock files. */
export const STATE_DIR_GITIGNORE = [
  "# Written by pivot: keep config.yaml and stages/ (lock files) in git.",
  "/cache/",
  "/state.db",
  "/state.db-*",
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
