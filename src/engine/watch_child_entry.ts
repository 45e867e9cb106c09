/**
 * Entry module of the file-watching child when pivot runs from source (a
 * bundled or compiled pivot serves as the child through `main.ts`).
 *
 * @module
 */
import { runWatchChild } from "./watch_child.ts";

Deno.exit(await runWatchChild(Deno.args));
