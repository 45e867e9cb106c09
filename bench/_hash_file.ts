/**
 * Hashes the file named by the first argument: run under
 * `/usr/bin/time` by the storage benchmark to measure the peak memory of
 * hashing on its own.
 *
 * @module
 */
import { hashFile } from "../src/storage/xxhash.ts";

await hashFile(Deno.args[0]!);
