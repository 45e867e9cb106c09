/**
 * Claiming `.running` sentinels by one hard link each. A claim's sentinel
 * holds only the holder's PID line (until a long-running command's `group`
 * line is added): every sentinel of this process holds the same text. So,
 * per sentinel directory, a template file holding that line is written
 * once, and each claim hard-links it to the sentinel's name
 * (the link fails when the name is taken, as a claim's own temp file's
 * does; see `running_sentinel.ts`). A sentinel is then whole from the moment
 * it exists, as before, but a claim costs one link instead of creating,
 * linking and removing a temp file, and a release only drops a name (on a
 * fresh run of a thousand stages, about a tenth of the coordinator's work).
 *
 * A sentinel made from a template must never be written to: it shares its
 * file with every other such sentinel. Takeovers replace a sentinel by
 * rename and never write to it, and so does a holder adding its command's
 * `group` line (see `running_sentinel.ts`).
 *
 * The templates are removed on dispose (the end of the command); a killed
 * process leaves its own behind (a hidden `.tmp` file, ignored like every
 * temp file of the state directory, that no reader takes for a sentinel)
 * until a takeover of one of its sentinels removes the templates of that
 * directory ({@linkcode removeTemplatesOf}).
 *
 * @module
 */
import * as path from "node:path";
import { writeNewTextFileSync } from "../util/fs.ts";

/**
 * Removes the templates process `pid`, which is gone, left in `dir` (its
 * sentinels linked to them keep their content: a template is one more name
 * of their file). Call with the directory's takeover lock held.
 */
export function removeTemplatesOf(dir: string, pid: number): void {
  const prefix = `.claim.${pid}.`;
  try {
    for (const entry of Deno.readDirSync(dir)) {
      if (entry.isFile && entry.name.startsWith(prefix) && entry.name.endsWith(".tmp")) {
        Deno.removeSync(path.join(dir, entry.name));
      }
    }
  } catch (error) {
    // Removed meanwhile, or the directory is gone: nothing is left to remove.
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** Template files, one per sentinel directory, each holding this process's PID line. */
export class SentinelTemplates implements Disposable {
  readonly #byDir = new Map<string, string>();

  /**
   * Creates `sentinel` as a link to this process's template in its
   * directory (written, with the directory, on the first claim there).
   *
   * @returns false when `sentinel` exists; `null` when no link could be made
   *   (a file system without hard links, the template removed meanwhile):
   *   the caller then creates the sentinel its usual way
   */
  create(sentinel: string): boolean | null {
    const template = this.#template(path.dirname(sentinel));
    try {
      Deno.linkSync(template, sentinel);
      return true;
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) return false;
      this.#forget(path.dirname(sentinel));
      return null;
    }
  }

  /** Removes the templates (the sentinels linked to them stay as they are). */
  [Symbol.dispose](): void {
    for (const dir of [...this.#byDir.keys()]) this.#forget(dir);
  }

  #template(dir: string): string {
    const known = this.#byDir.get(dir);
    if (known !== undefined) return known;
    const template = path.join(dir, `.claim.${Deno.pid}.${crypto.randomUUID()}.tmp`);
    writeNewTextFileSync(template, `${Deno.pid}\n`);
    this.#byDir.set(dir, template);
    return template;
  }

  #forget(dir: string): void {
    const template = this.#byDir.get(dir);
    this.#byDir.delete(dir);
    if (template === undefined) return;
    try {
      Deno.removeSync(template);
    } catch {
      // Left behind, as by a killed process: a hidden temp file, harmless (see above).
    }
  }
}
