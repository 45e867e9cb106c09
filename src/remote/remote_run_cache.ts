/**
 * Run-cache entries on a remote: `runs/<pipeline>/<stage>/<input hash>.json`,
 * so a stage whose input combination a teammate already computed can be
 * restored instead of run. Every entry read is validated before use.
 *
 * @module
 */
import { checkHash, parseRunCacheOutputs, type RunCacheOutput } from "../storage/mod.ts";
import { PivotError } from "../util/errors.ts";
import { runPool } from "../util/pool.ts";
import { type RemoteBackend, RemoteError, RemoteNotFoundError } from "./backend.ts";
import { checkStageKey, inputHashOfRunCacheKey, runCacheKey, RUNS_PREFIX } from "./object_keys.ts";
import { type RetryPolicy, withRetry } from "./retry.ts";

/** The format version of a remote run-cache entry. */
const ENTRY_SCHEMA = 1;
/** A run-cache entry larger than this is not read (a directory of a million files is ~100 MB). */
const MAX_ENTRY_BYTES = 256 * 1024 * 1024;

/** One run-cache entry: what `stage` produced for `inputHash`. */
export interface RunCacheEntryData {
  /** `<pipeline>/<stage>`. */
  readonly stage: string;
  readonly inputHash: string;
  /** The run that produced it. */
  readonly runId: string;
  readonly outputs: readonly RunCacheOutput[];
}

/** An entry that could not be moved, and why. */
export interface RunCacheFailure {
  /** `<pipeline>/<stage>` and the input hash. */
  readonly entry: string;
  readonly reason: string;
}

/** Options for moving run-cache entries. */
export interface RunCacheTransferOptions {
  readonly jobs: number;
  readonly retry: RetryPolicy;
}

/** The JSON text of `entry` as stored on a remote. */
export function serializeRunCacheEntry(entry: RunCacheEntryData): string {
  return JSON.stringify({
    schema: ENTRY_SCHEMA,
    stage: entry.stage,
    input_hash: entry.inputHash,
    run_id: entry.runId,
    outputs: entry.outputs,
  });
}

/**
 * Parses and validates an entry read from the remote key of `stage` and
 * `inputHash`, which it must name.
 *
 * @throws {PivotError} describing the first problem
 */
export function parseRunCacheEntry(
  text: string,
  stage: string,
  inputHash: string,
): RunCacheEntryData {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new PivotError("not valid JSON");
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new PivotError("expected a JSON object");
  }
  const fields = data as Record<string, unknown>;
  if (fields.schema !== ENTRY_SCHEMA) {
    throw new PivotError(`schema: expected ${ENTRY_SCHEMA}, got ${JSON.stringify(fields.schema)}`);
  }
  if (fields.stage !== stage) throw new PivotError(`stage: expected '${stage}'`);
  if (checkHash(fields.input_hash, "input_hash") !== inputHash) {
    throw new PivotError(`input_hash: expected '${inputHash}'`);
  }
  if (typeof fields.run_id !== "string" || !/^[A-Za-z0-9_.:-]{1,100}$/.test(fields.run_id)) {
    throw new PivotError("run_id: expected a run id");
  }
  return {
    stage,
    inputHash,
    runId: fields.run_id,
    outputs: parseRunCacheOutputs(fields.outputs, "outputs"),
  };
}

/**
 * The keys of every run-cache entry on the remote.
 *
 * @throws {RemoteError} when the remote cannot be listed
 */
export function listRunCacheKeys(
  backend: RemoteBackend,
  retry: RetryPolicy,
): Promise<Set<string>> {
  return withRetry(async () => {
    const keys = new Set<string>();
    for await (const object of backend.list(RUNS_PREFIX)) keys.add(object.key);
    return keys;
  }, retry);
}

/**
 * Writes `entries` that the remote (whose entry keys are `existing`) does
 * not have yet.
 *
 * @returns the number written and the failures
 */
export async function putRunCacheEntries(
  backend: RemoteBackend,
  entries: readonly RunCacheEntryData[],
  existing: ReadonlySet<string>,
  options: RunCacheTransferOptions,
): Promise<{ written: number; failed: RunCacheFailure[] }> {
  let written = 0;
  const failed: RunCacheFailure[] = [];
  const missing = entries.filter((entry) =>
    !existing.has(runCacheKey(entry.stage, entry.inputHash))
  );
  await runPool(missing, options.jobs, async (entry) => {
    const data = new TextEncoder().encode(serializeRunCacheEntry(entry));
    try {
      await withRetry(
        () =>
          backend.put(
            runCacheKey(entry.stage, entry.inputHash),
            ReadableStream.from([data]),
            data.length,
          ),
        options.retry,
      );
      written++;
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error;
      failed.push({ entry: `${entry.stage} ${entry.inputHash}`, reason: error.message });
    }
  });
  return { written, failed };
}

/**
 * Reads the remote's entries (keys `existing`) of `stages` for which `wanted`
 * says yes; an entry that is malformed is reported, not returned.
 */
export async function getRunCacheEntries(
  backend: RemoteBackend,
  stages: readonly string[],
  existing: ReadonlySet<string>,
  wanted: (stage: string, inputHash: string) => boolean,
  options: RunCacheTransferOptions,
): Promise<{ entries: RunCacheEntryData[]; failed: RunCacheFailure[] }> {
  const todo: { stage: string; inputHash: string; key: string }[] = [];
  for (const stage of new Set(stages)) {
    checkStageKey(stage);
    for (const key of existing) {
      const inputHash = inputHashOfRunCacheKey(stage, key);
      if (inputHash !== null && wanted(stage, inputHash)) todo.push({ stage, inputHash, key });
    }
  }
  const entries: RunCacheEntryData[] = [];
  const failed: RunCacheFailure[] = [];
  await runPool(todo, options.jobs, async ({ stage, inputHash, key }) => {
    try {
      const text = await withRetry(() => readSmall(backend, key), options.retry);
      entries.push(parseRunCacheEntry(text, stage, inputHash));
    } catch (error) {
      if (!(error instanceof PivotError)) throw error;
      failed.push({ entry: `${stage} ${inputHash}`, reason: `${key}: ${error.message}` });
    }
  });
  return { entries, failed };
}

/**
 * Reads the remote's entry of `stage` for `inputHash`, or `null` when the
 * remote has none.
 *
 * @throws {RemoteError} as the backend says when the entry cannot be read (after retries)
 * @throws {PivotError} naming the key when the entry is malformed
 */
export async function getRunCacheEntry(
  backend: RemoteBackend,
  stage: string,
  inputHash: string,
  retry: RetryPolicy,
): Promise<RunCacheEntryData | null> {
  const key = runCacheKey(checkStageKey(stage), inputHash);
  let text: string;
  try {
    text = await withRetry(() => readSmall(backend, key), retry);
  } catch (error) {
    if (error instanceof RemoteNotFoundError) return null;
    // The backends' messages name the object already.
    if (error instanceof RemoteError || !(error instanceof PivotError)) throw error;
    throw new PivotError(`${key}: ${error.message}`);
  }
  try {
    return parseRunCacheEntry(text, stage, inputHash);
  } catch (error) {
    if (!(error instanceof PivotError)) throw error;
    throw new PivotError(`${key}: ${error.message}`);
  }
}

async function readSmall(backend: RemoteBackend, key: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of await backend.get(key)) {
    size += chunk.length;
    if (size > MAX_ENTRY_BYTES) throw new PivotError(`larger than ${MAX_ENTRY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const data = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    data.set(chunk, offset);
    offset += chunk.length;
  }
  return new TextDecoder().decode(data);
}
