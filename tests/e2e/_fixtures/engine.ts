/**
 * Helpers for the engine's end-to-end tests (`repro`, `run`, `status`,
 * `verify`, `commit`, `history`): output without timings, JSON Lines events,
 * lock files, the cache blob of an output, and waiting for a file.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";

/** `text` with every duration such as `(0.2s)` replaced by `(T)`. */
export function timeless(text: string): string {
  return text.replace(/\(\d+\.\d+s\)/g, "(T)");
}

/** One event of `repro --json`. */
export interface JsonEvent {
  readonly type: string;
  readonly stage?: string;
  readonly status?: string;
  readonly reason?: string;
  readonly details?: string[];
  readonly line?: string;
  readonly stream?: string;
  readonly [key: string]: unknown;
}

/** Parses `stdout` as JSON Lines, failing on any line that is not one JSON object. */
export function jsonEvents(stdout: string): JsonEvent[] {
  assert.ok(stdout.endsWith("\n"), `JSON Lines output must end with a newline: ${stdout}`);
  return stdout.slice(0, -1).split("\n").map((line) => {
    const value = JSON.parse(line);
    assert.equal(typeof value, "object", line);
    assert.equal(typeof value.type, "string", line);
    return value as JsonEvent;
  });
}

/** `stage_complete` events by stage name. */
export function completions(events: readonly JsonEvent[]): Map<string, JsonEvent> {
  return new Map(
    events.filter((e) => e.type === "stage_complete").map((e) => [e.stage!, e]),
  );
}

/** Project-relative path of the lock of `stage` of `pipeline` in the state dir under `dir`. */
export function lockRel(pipeline: string, stage: string, dir = "."): string {
  return path.posix.join(dir, ".pivot/stages", pipeline, `${stage}.lock`);
}

/** A lock file as parsed from YAML. */
export interface ParsedLock {
  stage: string;
  pipeline: string;
  fingerprint: { hash: string; manifest: Record<string, string> };
  params: Record<string, unknown>;
  deps: { name: string; identity?: string; path: string; hash: string }[];
  outs: { key?: string; path: string; hash: string; cache: boolean }[];
}

/**
 * Reads and parses the lock file at `file` (absolute). The `yaml` package is
 * imported on the first call (loading it costs a test file ~50 ms, and most
 * files importing this one never call this).
 */
export async function readLock(file: string): Promise<ParsedLock> {
  const { parse } = await import("yaml");
  return parse(await Deno.readTextFile(file)) as ParsedLock;
}

/** Path of the blob of `hash` in the default cache of the project at `root`. */
export function blobOf(root: string, hash: string): string {
  return path.join(root, ".pivot/cache/files", hash.slice(0, 2), hash.slice(2));
}

/** True when `file` exists (without following symlinks). */
export async function present(file: string): Promise<boolean> {
  try {
    await Deno.lstat(file);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Polls until `file` exists (and is not empty), failing after `timeoutMs`. */
export async function waitForFile(file: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await Deno.stat(file)).size > 0) return;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${file}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Every file under `dir` whose name ends with `.lock`, relative, sorted, with its text. */
export function lockFiles(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (abs: string, rel: string): void => {
    for (const entry of Deno.readDirSync(abs)) {
      const childRel = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory) walk(path.join(abs, entry.name), childRel);
      else if (entry.name.endsWith(".lock")) {
        found.set(childRel, Deno.readTextFileSync(path.join(abs, entry.name)));
      }
    }
  };
  walk(dir, "");
  return new Map([...found].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0));
}

/** The hint `pivot status` ends with when an output differs from what its lock records. */
export const CHECKOUT_HINT =
  "hint: outputs that differ from their locks (as after a 'git checkout'): 'pivot checkout' " +
  "puts back what the locks record, 'pivot repro' runs their stages again\n";
