/**
 * Fixtures for storage tests: a sample manifest, a PivotError assertion, an
 * open state database, and blobs and lock files written as the engine would
 * write them (hostile-YAML editing is in `yaml_edit.ts`).
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import {
  ContentCache,
  hashBytes,
  type LockDep,
  lockFilePath,
  type LockOut,
  type ManifestEntry,
  StateDb,
  writeLockFile,
} from "../../src/storage/mod.ts";
import { PivotError } from "../../src/util/errors.ts";
import { makeProject, type TempProject } from "./project.ts";

/** A two-file manifest (`cat.jpg`, executable `sub/dog.jpg`) whose tree hash is `55211bc0d7941edc`. */
export const PETS: readonly ManifestEntry[] = [
  { relpath: "cat.jpg", hash: "70227ad56ed7a20d", size: 9, isexec: false },
  { relpath: "sub/dog.jpg", hash: "e26dc7fc8da8773f", size: 9, isexec: true },
];

/**
 * Asserts that `fn` throws a PivotError whose message is exactly `message`
 * (or matches it, for a RegExp); `label` names the case in a failure.
 */
export function assertPivotError(
  fn: () => unknown,
  message: string | RegExp,
  label?: string,
): void {
  assert.throws(fn, (error: unknown) => isPivotError(error, message, label));
}

/** {@linkcode assertPivotError} for a function that returns a promise. */
export async function assertPivotRejects(
  fn: () => Promise<unknown>,
  message: string | RegExp,
  label?: string,
): Promise<void> {
  await assert.rejects(fn, (error: unknown) => isPivotError(error, message, label));
}

function isPivotError(error: unknown, message: string | RegExp, label?: string): true {
  const prefix = label === undefined ? "" : `${label}: `;
  assert.ok(error instanceof PivotError, `${prefix}expected a PivotError, got ${String(error)}`);
  if (typeof message === "string") assert.equal(error.message, message, label);
  else assert.match(error.message, message, label);
  return true;
}

/**
 * Runs `work` in a temporary project holding `files`, with its
 * `.pivot/state.db` open (any warning fails the test), closing it afterwards.
 */
export async function withStateDb(
  files: Record<string, string>,
  work: (db: StateDb, p: TempProject) => Promise<void> | void,
): Promise<void> {
  await using p = await makeProject(files);
  const db = await StateDb.open(p.path(".pivot"), () => assert.fail("unexpected warning"));
  try {
    await work(db, p);
  } finally {
    db.close();
  }
}

/** Stores `content` as a blob in the cache at `cacheDir`; returns its hash. */
export async function addBlob(cacheDir: string, content: string): Promise<string> {
  const data = new TextEncoder().encode(content);
  const hash = hashBytes(data);
  await new ContentCache(cacheDir).addBytes(data, hash, "test");
  return hash;
}

/** The blob of `hash` under `cacheDir` (relative when `cacheDir` is). */
export function blobPath(cacheDir: string, hash: string): string {
  return path.join(cacheDir, "files", hash.slice(0, 2), hash.slice(2));
}

/**
 * Writes the lock of stage `name` of `pipeline` in `stateDir` as the engine
 * would, with a fixed fingerprint and no params; returns the lock file's path.
 */
export async function writeLock(
  stateDir: string,
  pipeline: string,
  name: string,
  deps: LockDep[],
  outs: LockOut[],
): Promise<string> {
  const file = lockFilePath({ stateDir, pipeline, name });
  await writeLockFile(file, {
    stage: name,
    pipeline,
    fingerprint: { hash: "0123456789abcdef", manifest: {} },
    params: {},
    deps,
    outs,
  });
  return file;
}

/** The `hash:` of a `.pvt` file's text (asserting it is double-quoted). */
export function pvtHash(text: string): string {
  const match = text.match(/^hash: "([0-9a-f]{16})"$/m);
  assert.ok(match, `no quoted hash in:\n${text}`);
  return match[1]!;
}
