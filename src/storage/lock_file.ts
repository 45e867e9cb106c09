/**
 * Per-stage lock files: `<state dir>/stages/<home pipeline>/<stage>.lock`,
 * deterministic text meant to be committed: pretty-printed JSON (which is
 * YAML 1.2, so any YAML reader reads it; see `_json_out.ts`), or YAML when a
 * param is a number JSON cannot hold (`.inf`, `.nan`). Locks written as YAML
 * by earlier versions are read as well, and rewritten as JSON when their
 * stage is next recorded. Reading validates every field; a malformed lock
 * reads as absent.
 *
 * @module
 */
import { isIdentity, isValidStageName } from "../identity/mod.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import { PivotError } from "../util/errors.ts";
import { readTextOrNullSync } from "../util/fs.ts";
import { joinNormal } from "../util/paths.ts";
import {
  checkBoolean,
  checkFields,
  checkManifest,
  checkString,
  type Fields,
  isFields,
  manifestFields,
} from "./_fields.ts";
import { looksLikeJson, metadataJson, parseMetadata } from "./_json_out.ts";
import { metadataYaml } from "./_yaml_out.ts";
import { checkHash } from "./hash_string.ts";
import type { ParseCache } from "./parse_cache.ts";
import type { ManifestEntry } from "./manifest.ts";
import { checkRelativePath } from "./safe_path.ts";

/** The lock format this build writes and reads. */
export const LOCK_SCHEMA_VERSION = 1;

const PIPELINE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** A stage's code fingerprint: an overall hash and what it was computed from. */
export interface LockFingerprint {
  /** Hash of the whole manifest. */
  readonly hash: string;
  /** Part → hash (`cmd`, `fn:stages.ts#train`, …), sorted by key when written. */
  readonly manifest: Readonly<Record<string, string>>;
}

/** One recorded dependency. */
export interface LockDep {
  /** The name it has under `deps:`. */
  readonly name: string;
  /** The identity it was given as (`prep:clean`), or `null` for a file dependency. */
  readonly identity: string | null;
  /** Project-relative `/`-separated path. */
  readonly path: string;
  /** Content hash (tree hash for a directory). */
  readonly hash: string;
  /** Manifest of a directory. */
  readonly manifest?: readonly ManifestEntry[];
}

/** One recorded output. */
export interface LockOut {
  /** Output key, or `null` for the stage's single unnamed output. */
  readonly key: string | null;
  /** Project-relative `/`-separated path. */
  readonly path: string;
  /** Content hash (tree hash for a directory). */
  readonly hash: string;
  /** Whether the content is in the cache. */
  readonly cache: boolean;
  /** Manifest of a directory. */
  readonly manifest?: readonly ManifestEntry[];
}

/** What a lock file records about a stage's last successful run. */
export interface StageLock {
  /** The stage's own name (`train@small`). */
  readonly stage: string;
  /** Home pipeline. */
  readonly pipeline: string;
  readonly fingerprint: LockFingerprint;
  /** Effective params. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly deps: readonly LockDep[];
  readonly outs: readonly LockOut[];
}

/** The stage fields that place a lock file. */
export interface LockedStage {
  /** `<pipeline root>/.pivot`. */
  readonly stateDir: string;
  /** Home pipeline name. */
  readonly pipeline: string;
  /** Own, unprefixed stage name. */
  readonly name: string;
}

/** The end of a lock file's name, after its stage's own name (see {@linkcode lockFilePath}). */
export const LOCK_SUFFIX = ".lock";

/**
 * `<stateDir>/stages/<pipeline>/<name>.lock`.
 *
 * @throws {PivotError} when the pipeline or stage name could not be a file name
 */
export function lockFilePath(stage: LockedStage): string {
  if (!PIPELINE_NAME.test(stage.pipeline) || !isValidStageName(stage.name)) {
    throw new PivotError(`invalid stage '${stage.pipeline}/${stage.name}' for a lock file`);
  }
  return joinNormal(stage.stateDir, "stages", stage.pipeline, `${stage.name}${LOCK_SUFFIX}`);
}

/**
 * The lock file text: JSON (YAML when JSON cannot hold a param), fixed key
 * order, params keys sorted, hashes quoted.
 */
export function serializeLock(lock: StageLock): string {
  const byPath = <T extends { path: string }>(items: readonly T[]) =>
    [...items].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const data = {
    schema: LOCK_SCHEMA_VERSION,
    stage: lock.stage,
    pipeline: lock.pipeline,
    fingerprint: {
      hash: lock.fingerprint.hash,
      manifest: Object.fromEntries(
        Object.entries(lock.fingerprint.manifest).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      ),
    },
    params: sortKeys(lock.params),
    deps: byPath(lock.deps).map((dep) => ({
      name: dep.name,
      ...(dep.identity === null ? {} : { identity: dep.identity }),
      path: dep.path,
      hash: dep.hash,
      ...(dep.manifest === undefined ? {} : { manifest: manifestFields(dep.manifest) }),
    })),
    outs: byPath(lock.outs).map((out) => ({
      ...(out.key === null ? {} : { key: out.key }),
      path: out.path,
      hash: out.hash,
      cache: out.cache,
      ...(out.manifest === undefined ? {} : { manifest: manifestFields(out.manifest) }),
    })),
  };
  return metadataJson(data) ?? metadataYaml(data, ["manifest"]);
}

/**
 * Writes `lock` to `file` atomically (see {@linkcode atomicWrite}); returns
 * the bytes written (its text as UTF-8), encoded once: the lock of a fan-in
 * of 10,000 stages is over a megabyte, and each copy of it is memory taken
 * from the system when the run's memory peaks.
 */
export function writeLockFile(file: string, lock: StageLock): Uint8Array {
  const bytes = new TextEncoder().encode(serializeLock(lock));
  atomicWrite(file, bytes);
  return bytes;
}

/**
 * Parses and validates lock-file text (JSON, or YAML as earlier versions wrote it).
 *
 * @throws {PivotError} describing the first problem
 */
export async function parseLock(text: string): Promise<StageLock> {
  const data = await parseMetadata(text);
  const top = checkFields(data, "lock");
  if (top.schema !== LOCK_SCHEMA_VERSION) {
    throw new PivotError(
      Number.isInteger(top.schema) && (top.schema as number) > LOCK_SCHEMA_VERSION
        ? `schema ${top.schema} is newer than this pivot understands (${LOCK_SCHEMA_VERSION})`
        : `schema: expected ${LOCK_SCHEMA_VERSION}`,
    );
  }
  const stage = checkString(top.stage, "stage");
  if (!isValidStageName(stage)) throw new PivotError(`stage: invalid name '${stage}'`);
  const pipeline = checkString(top.pipeline, "pipeline");
  if (!PIPELINE_NAME.test(pipeline)) throw new PivotError(`pipeline: invalid name '${pipeline}'`);
  const fp = checkFields(top.fingerprint, "fingerprint");
  const manifest = checkFields(fp.manifest, "fingerprint.manifest");
  const fingerprint: LockFingerprint = {
    hash: checkHash(fp.hash, "fingerprint.hash"),
    manifest: Object.fromEntries(
      Object.entries(manifest).map(([key, value]) => [
        key,
        checkHash(value, `fingerprint.manifest.${key}`),
      ]),
    ),
  };
  if (!isFields(top.params)) throw new PivotError("params: expected a mapping");
  return {
    stage,
    pipeline,
    fingerprint,
    params: top.params,
    deps: checkList(top.deps, "deps").map((item, i) => {
      const at = `deps[${i}]`;
      const fields = checkFields(item, at);
      const identity = fields.identity === undefined ? null : checkString(fields.identity, at);
      if (identity !== null && !isIdentity(identity)) {
        throw new PivotError(`${at}.identity: invalid identity '${identity}'`);
      }
      return {
        name: checkString(fields.name, `${at}.name`),
        identity,
        ...pathAndHash(fields, at),
      };
    }),
    outs: checkList(top.outs, "outs").map((item, i) => {
      const at = `outs[${i}]`;
      const fields = checkFields(item, at);
      return {
        key: fields.key === undefined ? null : checkString(fields.key, `${at}.key`),
        cache: checkBoolean(fields.cache, `${at}.cache`),
        ...pathAndHash(fields, at),
      };
    }),
  };
}

function pathAndHash(
  fields: Fields,
  at: string,
): { path: string; hash: string; manifest?: ManifestEntry[] } {
  const hash = checkHash(fields.hash, `${at}.hash`);
  return {
    path: checkRelativePath(fields.path, `${at}.path`),
    hash,
    ...(fields.manifest === undefined
      ? {}
      : { manifest: checkManifest(fields.manifest, hash, `${at}.manifest`) }),
  };
}

function checkList(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new PivotError(`${where}: expected a list`);
  return value;
}

/** Options for {@linkcode readLockFile}. */
export interface ReadLockOptions {
  /** Told once about a lock that exists but is malformed. */
  warn: (message: string) => void;
  /** How warnings show the file (a project-relative path). @default {file} */
  display?: string;
  /**
   * Remembers validated locks written as YAML by content, so an unchanged
   * one is parsed once (a JSON lock is read faster than the cache is asked).
   */
  cache?: ParseCache;
  /** The stage the lock must be for; a lock of another stage is malformed. */
  expect?: { readonly stage: string; readonly pipeline: string };
}

/**
 * Reads the lock file at `file`: `null` when it is missing or malformed
 * (then `warn` names the file and the problem, and the stage re-runs).
 */
export async function readLockFile(
  file: string,
  options: ReadLockOptions,
): Promise<StageLock | null> {
  // A synchronous read: thousands of small reads cost far less that way.
  const text = readTextOrNullSync(file);
  if (text === null) return null;
  return await readLockText(text, { ...options, display: options.display ?? file });
}

/**
 * Validates lock-file text read from elsewhere (a git revision) as
 * {@linkcode readLockFile} does: `null` when it is malformed, after `warn`
 * named `display` and the problem.
 */
export async function readLockText(
  text: string,
  options: ReadLockOptions & { display: string },
): Promise<StageLock | null> {
  try {
    const cache = looksLikeJson(text) ? undefined : options.cache;
    const cached = cache?.get(`lock${LOCK_SCHEMA_VERSION}`, text) as StageLock | undefined;
    const lock = cached ?? await parseLock(text);
    if (cached === undefined) cache?.put(`lock${LOCK_SCHEMA_VERSION}`, text, lock);
    const { expect } = options;
    if (
      expect !== undefined && (lock.stage !== expect.stage || lock.pipeline !== expect.pipeline)
    ) {
      throw new PivotError(
        `it belongs to '${lock.pipeline}/${lock.stage}', not '${expect.pipeline}/${expect.stage}'`,
      );
    }
    return lock;
  } catch (error) {
    if (!(error instanceof PivotError)) throw error;
    options.warn(`ignoring malformed lock file ${options.display}: ${error.message}`);
    return null;
  }
}

function sortKeys(value: unknown): Record<string, unknown> {
  const sort = (item: unknown): unknown => {
    if (Array.isArray(item)) return item.map(sort);
    if (!isFields(item)) return item;
    return Object.fromEntries(
      Object.keys(item).sort().map((key) => [key, sort(item[key])]),
    );
  };
  return sort(value) as Record<string, unknown>;
}
