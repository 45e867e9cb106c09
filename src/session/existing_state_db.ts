/**
 * The project's `state.db` opened as it is, for the no-op fast path, which
 * answers before the rest of pivot (and a session) is loaded. Kept light: it
 * imports only the state database module.
 *
 * @module
 */
import * as path from "node:path";
import { StateDb } from "../storage/state_db.ts";

/**
 * Runs `work` with the existing `state.db` of the project at `root` and
 * closes it: no state dir is created, nothing is repaired.
 *
 * @throws when there is no `state.db` or it cannot be opened (the fast path
 *   then goes the full way, where a session reports or repairs it)
 */
export function withExistingProjectDb<T>(root: string, work: (db: StateDb) => T): T {
  const db = StateDb.openExisting(path.join(root, ".pivot"));
  try {
    return work(db);
  } finally {
    db.close();
  }
}
