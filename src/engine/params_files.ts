/**
 * The `PIVOT_PARAMS` files of one run: each distinct set of params written
 * once as JSON (most stages share a few), in a temporary directory removed
 * when the run is disposed of.
 *
 * @module
 */
import * as path from "node:path";
import { hashBytes } from "../storage/mod.ts";

/** One JSON file per distinct params; dispose of it to remove them. */
export class ParamsFiles implements AsyncDisposable {
  #dir: Promise<string> | null = null;
  readonly #written = new Map<string, Promise<string>>();

  /** The file holding `params` as JSON, written on first use. */
  fileFor(params: Readonly<Record<string, unknown>>): Promise<string> {
    const json = `${JSON.stringify(params, null, 2)}\n`;
    const key = hashBytes(json);
    let file = this.#written.get(key);
    if (file === undefined) {
      this.#dir ??= Deno.makeTempDir({ prefix: "pivot_run_" });
      file = this.#dir.then(async (dir) => {
        const target = path.join(dir, `${key}.json`);
        await Deno.writeTextFile(target, json);
        return target;
      });
      this.#written.set(key, file);
    }
    return file;
  }

  /** Removes the files (nothing to do when none was written). */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#dir === null) return;
    const dir = await this.#dir.catch(() => null);
    if (dir !== null) await Deno.remove(dir, { recursive: true }).catch(() => undefined);
  }
}
