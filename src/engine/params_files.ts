/**
 * The `PIVOT_PARAMS` files of one run: each distinct set of params written
 * once as JSON (most stages share a few), in a temporary directory removed
 * when the run is disposed of. The writes are synchronous: a few small
 * files, where an asynchronous call costs a hand-off to another thread and
 * back, which on a busy machine delays the stage by milliseconds while the
 * run has nothing else to do (an incremental run of one stage).
 *
 * @module
 */
import * as path from "node:path";
import { hashBytes } from "../storage/mod.ts";

/** One JSON file per distinct params; dispose of it to remove them. */
export class ParamsFiles implements Disposable {
  #dir: string | null = null;
  readonly #written = new Map<string, string>();

  /**
   * The file holding `params` as JSON, written on first use.
   *
   * @throws the error of the write (a full disk)
   */
  fileFor(params: Readonly<Record<string, unknown>>): string {
    const json = `${JSON.stringify(params, null, 2)}\n`;
    const key = hashBytes(json);
    let file = this.#written.get(key);
    if (file === undefined) {
      this.#dir ??= Deno.makeTempDirSync({ prefix: "pivot_run_" });
      file = path.join(this.#dir, `${key}.json`);
      Deno.writeTextFileSync(file, json);
      this.#written.set(key, file);
    }
    return file;
  }

  /** Removes the files (nothing to do when none was written). */
  [Symbol.dispose](): void {
    if (this.#dir === null) return;
    try {
      Deno.removeSync(this.#dir, { recursive: true });
    } catch {
      // Already gone, or not removable: a temporary directory, left to the system.
    }
  }
}
