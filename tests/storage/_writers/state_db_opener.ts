/**
 * Test helper process: waits until the millisecond given, then opens the
 * state.db of the state dir given and prints `ok`, or `error: <message>`.
 *
 * @module
 */
import { StateDb } from "../../../src/storage/state_db.ts";

const [stateDir, startAt] = Deno.args;
// Sleeps until shortly before the instant, then spins, so that every opener starts at the same
// instant without 8 processes spinning for most of a second on the test machine's cores.
const SPIN_MS = 25;
const sleepMs = Number(startAt) - SPIN_MS - Date.now();
if (sleepMs > 0) await new Promise((resolve) => setTimeout(resolve, sleepMs));
while (Date.now() < Number(startAt)) {
  // Spin.
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
