/**
 * Test helper process: waits until the millisecond given, then opens the
 * state.db of the state dir given and prints `ok`, or `error: <message>`.
 *
 * @module
 */
import { StateDb } from "../../../src/storage/state_db.ts";

const [stateDir, startAt] = Deno.args;
while (Date.now() < Number(startAt)) {
  // Spin, so that every opener starts at the same instant.
}
try {
  const db = await StateDb.open(stateDir!, () => {});
  db.close();
  // deno-lint-ignore no-console -- the test reads this line
  console.log("ok");
} catch (error) {
  // deno-lint-ignore no-console -- the test reads this line
  console.log(`error: ${error instanceof Error ? error.message : String(error)}`);
}
