/**
 * Caches the file `Deno.args[1]` as the blob of hash `Deno.args[2]` in the
 * cache directory `Deno.args[0]` with `ContentCache.addFile()`.
 *
 * @module
 */
import { ContentCache } from "../../../src/storage/mod.ts";

const [cacheDir, source, hash] = Deno.args as [string, string, string];
await new ContentCache(cacheDir).addFile(source, hash);
