/**
 * The one interface every remote storage implements: size (exists) / put / get /
 * delete / list of objects under `/`-separated keys relative to the remote's
 * root, with streamed bodies (and, for a remote on a local path, copies the
 * file system makes: `copyTo`).
 *
 * @module
 */
import { PivotError } from "../util/errors.ts";

/** One object found by {@linkcode RemoteBackend.list}. */
export interface RemoteObject {
  /** Key relative to the remote's root (`files/ab/cdef…`). */
  readonly key: string;
  /** Size in bytes. */
  readonly size: number;
  /** When it was last written (ms since the epoch), or `null` when the remote does not say. */
  readonly modifiedMs: number | null;
}

/** A remote store of objects. Keys are checked with {@linkcode checkKey}. */
export interface RemoteBackend {
  /** What the remote index is keyed by: the URL, without credentials. */
  readonly indexKey: string;
  /** The size of the object `key`, or `null` when it does not exist. */
  size(key: string): Promise<number | null>;
  /** Every object whose key starts with `prefix` (which ends in `/`). */
  list(prefix: string): AsyncIterable<RemoteObject>;
  /**
   * The content of `key`, streamed.
   *
   * @throws {RemoteNotFoundError} when there is no such object
   */
  get(key: string): Promise<ReadableStream<Uint8Array>>;
  /**
   * Stores `body` (`size` bytes) as `key`; nobody sees a partial object. An
   * error from `body` aborts the write.
   */
  put(key: string, body: ReadableStream<Uint8Array>, size: number): Promise<void>;
  /**
   * Copies the object `key` into `file` (a new file) by the file system
   * itself, without passing its bytes through this process (a remote on a
   * local path: `copy_file_range`, or a reflink where the file system makes
   * one); absent for remotes reached over a network. Returns the size copied.
   *
   * @throws {RemoteNotFoundError} when there is no such object
   */
  copyTo?(key: string, file: string): Promise<number>;
  /** Removes the object `key`; one that does not exist is no error. */
  delete(key: string): Promise<void>;
  /** Releases connections. */
  close(): void;
}

/** Options for {@linkcode RemoteError}. */
export interface RemoteErrorOptions {
  /** Worth another attempt (throttling, a server error, a network error). @default {false} */
  retryable?: boolean;
  /** About this object only (not the remote as a whole). @default {false} */
  objectOnly?: boolean;
  /** What to do about it. */
  hint?: string | undefined;
}

/** A failed remote request; the message never holds credentials. */
export class RemoteError extends PivotError {
  /** Worth another attempt. */
  readonly retryable: boolean;
  /** Concerns one object; other transfers may go on. */
  readonly objectOnly: boolean;

  /** Creates the error; `message` must already be free of secrets. */
  constructor(message: string, options: RemoteErrorOptions = {}) {
    super(message, { hint: options.hint });
    this.name = "RemoteError";
    this.retryable = options.retryable ?? false;
    this.objectOnly = options.objectOnly ?? false;
  }
}

/** The object asked for is not on the remote. */
export class RemoteNotFoundError extends RemoteError {
  /** The missing key. */
  readonly key: string;

  /** Creates the error for `key`. */
  constructor(key: string) {
    super(`${key} is not on the remote`, { objectOnly: true });
    this.name = "RemoteNotFoundError";
    this.key = key;
  }
}

const SEGMENT = /^[A-Za-z0-9_@=+-][A-Za-z0-9._@=+-]*$/;

/**
 * Returns `key` when it is a safe object key: `/`-separated segments of
 * letters, digits and `._@=+-`, none empty, none starting with a dot (so never
 * `.` or `..`, nor a temp file's name).
 *
 * @throws {PivotError} otherwise
 */
export function checkKey(key: string): string {
  if (key.split("/").every((segment) => SEGMENT.test(segment) && segment !== "..")) return key;
  throw new PivotError(`invalid remote object key ${JSON.stringify(key)}`);
}
