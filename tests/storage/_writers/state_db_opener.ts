/**
 * Test helper process: prints `ready` once loaded, waits for the end of its
 * stdin (the test closes every opener's stdin at once), then opens the
 * state.db of the state dir given and prints `ok`, or `error: <message>`.
 *
 * @module
 */
import { StateDb } from "../../../src/storage/state_db.ts";

const [stateDir] = Deno.args;
// deno-lint-ignore no-console -- the test waits for this line
console.log("ready");
for await (const _ of Deno.stdin.readable) {
  // Nothing is written; the end of stdin is the signal to open.
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
