/**
 * Writes {@linkcode LOCK_A} and {@linkcode LOCK_B} alternately to the lock
 * file `Deno.args[0]` with `writeLockFile()`, as fast as it can, until killed.
 *
 * @module
 */
import { writeLockFile } from "../../../src/storage/mod.ts";
import { LOCK_A, LOCK_B } from "./locks.ts";

const file = Deno.args[0]!;
for (let i = 0;; i++) await writeLockFile(file, i % 2 === 0 ? LOCK_A : LOCK_B);
