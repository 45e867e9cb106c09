/**
 * Tries, without waiting, to take the write lock of the SQLite database
 * `Deno.args[0]` (`BEGIN IMMEDIATE`) and prints `acquired`, or the error
 * (`database is locked`).
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";

const db = new DatabaseSync(Deno.args[0]!, { timeout: 0 });
try {
  db.exec("BEGIN IMMEDIATE");
  db.exec("ROLLBACK");
  // deno-lint-ignore no-console -- the test reads this line
  console.log("acquired");
} catch (error) {
  // deno-lint-ignore no-console -- the test reads this line
  console.log(error instanceof Error ? error.message : String(error));
} finally {
  db.close();
}
