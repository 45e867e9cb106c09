/**
 * A remote in a directory (a shared NFS mount, another disk): objects are
 * files at their keys, written through a temp file beside them and a rename.
 *
 * @module
 */
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { tempPathBeside } from "../util/atomic_write.ts";
import { fileStream } from "../util/file_stream.ts";
import {
  checkKey,
  type RemoteBackend,
  RemoteError,
  RemoteNotFoundError,
  type RemoteObject,
} from "./backend.ts";

/** A remote kept in the directory `root`, which must exist. */
export class DirectoryBackend implements RemoteBackend {
  /** The directory (absolute). */
  readonly root: string;
  /** `file:///…` of the directory. */
  readonly indexKey: string;

  private constructor(root: string) {
    this.root = root;
    this.indexKey = pathToFileURL(root).href;
  }

  /**
   * Opens the remote at `dir`, resolving symlinks.
   *
   * @throws {RemoteError} when it does not exist or is not a directory
   */
  static async open(dir: string): Promise<DirectoryBackend> {
    let real: string;
    try {
      real = await Deno.realPath(dir);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw localError(error, dir);
      throw new RemoteError(`the remote directory ${dir} does not exist`, {
        hint: `create it (mkdir -p ${dir}), or mount the share it lives on`,
      });
    }
    if (!(await Deno.stat(real)).isDirectory) {
      throw new RemoteError(`the remote ${dir} is not a directory`);
    }
    return new DirectoryBackend(real);
  }

  #file(key: string): string {
    return path.join(this.root, ...checkKey(key).split("/"));
  }

  /** The size of the object `key`, or `null` when it does not exist. */
  async size(key: string): Promise<number | null> {
    try {
      const info = await Deno.stat(this.#file(key));
      return info.isFile ? info.size : null;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw localError(error, this.#file(key));
    }
  }

  /** Every object under `prefix` (hidden files, such as temp files, skipped). */
  async *list(prefix: string): AsyncIterable<RemoteObject> {
    const trimmed = prefix.replace(/\/$/, "");
    const walk = async function* (dir: string, rel: string): AsyncIterable<RemoteObject> {
      let entries: Deno.DirEntry[];
      try {
        entries = await Array.fromAsync(Deno.readDir(dir));
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return;
        throw localError(error, dir);
      }
      for (const entry of entries) {
        if (entry.name.startsWith(".")) continue;
        const key = `${rel}/${entry.name}`;
        const file = path.join(dir, entry.name);
        if (entry.isDirectory) yield* walk(file, key);
        else if (entry.isFile) {
          const info = await Deno.stat(file);
          yield { key, size: info.size, modifiedMs: info.mtime?.getTime() ?? null };
        }
      }
    };
    yield* walk(this.#file(trimmed), trimmed);
  }

  /** The content of `key`, streamed from the file. */
  async get(key: string): Promise<ReadableStream<Uint8Array>> {
    let file: Deno.FsFile | null = null;
    try {
      file = await Deno.open(this.#file(key));
      return fileStream(file, (await file.stat()).size);
    } catch (error) {
      file?.close();
      if (error instanceof Deno.errors.NotFound) throw new RemoteNotFoundError(key);
      throw localError(error, this.#file(key));
    }
  }

  /** Copies the file of `key` into `file` (see {@linkcode RemoteBackend.copyTo}). */
  async copyTo(key: string, file: string): Promise<number> {
    const source = this.#file(key);
    try {
      await Deno.copyFile(source, file);
      return (await Deno.stat(file)).size;
    } catch (error) {
      // The directory of `file` exists (the caller made it): the object is what is missing.
      if (error instanceof Deno.errors.NotFound) throw new RemoteNotFoundError(key);
      throw localError(error, source);
    }
  }

  /**
   * Writes `body` to a temp file beside the object, flushes it to disk and
   * renames it into place (read-only), so the object is never partial.
   */
  async put(key: string, body: ReadableStream<Uint8Array>, _size: number): Promise<void> {
    const target = this.#file(key);
    const temp = tempPathBeside(target);
    try {
      await Deno.mkdir(path.dirname(target), { recursive: true });
      const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o644 });
      try {
        // (Piping into file.writable with preventClose loses the data: write by hand.)
        for await (const chunk of body) {
          let written = 0;
          while (written < chunk.length) written += await file.write(chunk.subarray(written));
        }
        await file.syncData();
      } finally {
        file.close();
      }
      await Deno.chmod(temp, 0o444);
      await Deno.rename(temp, target);
    } catch (error) {
      await body.cancel().catch(() => undefined);
      await Deno.remove(temp).catch(() => undefined);
      // An error of the body (its source failed its hash check) passes through unchanged.
      throw isFileSystemError(error) ? localError(error, target) : error;
    }
  }

  /** Removes the file of `key` (absent already: nothing to do). */
  async delete(key: string): Promise<void> {
    try {
      await Deno.remove(this.#file(key));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw localError(error, this.#file(key));
    }
  }

  /** Nothing to release. */
  close(): void {}
}

function isFileSystemError(error: unknown): boolean {
  return Object.values(Deno.errors).some((kind) => error instanceof kind);
}

function localError(error: unknown, file: string): RemoteError {
  if (error instanceof Deno.errors.PermissionDenied) {
    return new RemoteError(`permission denied: ${file}`, {
      hint: "check the permissions of the remote directory",
    });
  }
  if ((error as { code?: string }).code === "ENOSPC") {
    return new RemoteError(`no space left on the device of ${file}`);
  }
  return new RemoteError(`${file}: ${error instanceof Error ? error.message : String(error)}`, {
    retryable: true,
  });
}
