/**
 * Finding the content a revision recorded: in the local cache by its hash,
 * committed to git, or on a remote (fetched into the cache, verified), in
 * that order of cost.
 *
 * @module
 */
import type { ContentCache, HashInfo, ManifestEntry } from "../storage/mod.ts";
import { hashBytes, isDirHash } from "../storage/mod.ts";
import { PivotError } from "../util/errors.ts";
import type { ProjectRevision } from "./project_revision.ts";

/** Content a revision's lock or `.pvt` recorded (or a path it may have committed). */
export interface RecordedContent {
  /** How messages name it: `train:model`, `data.csv`. */
  readonly label: string;
  /** Project-relative path it had at the revision. */
  readonly path: string;
  /** Its hash (with the manifest of a directory), or `null` when nothing recorded it: git only. */
  readonly info: HashInfo | null;
}

/** A blob to fetch from a remote, and what it is. */
export interface BlobRequest {
  readonly hash: string;
  /** For messages: `train:model`. */
  readonly label: string;
}

/**
 * Downloads blobs into the local cache (verified against their hash) and
 * returns, for each blob it could not bring, the reason (`not on remote
 * 'origin'`, `no remote is configured`).
 */
export type BlobFetcher = (blobs: readonly BlobRequest[]) => Promise<Map<string, string>>;

/** Where recorded content was found. */
export type FoundContent =
  /** A file whose blob is in the cache (`remote`: fetched just now). */
  | { readonly kind: "file"; readonly source: "cache" | "remote"; readonly hash: string }
  /** A directory whose every blob is in the cache. */
  | {
    readonly kind: "dir";
    readonly source: "cache" | "remote";
    readonly hash: string;
    readonly manifest: readonly ManifestEntry[];
  }
  /** A file committed to git at the revision. */
  | {
    readonly kind: "file";
    readonly source: "git";
    readonly content: Uint8Array;
    readonly executable: boolean;
  };

/** Options for {@linkcode findRecordedContent}. */
export interface FindContentOptions {
  /** The local cache. */
  cache: ContentCache;
  /** Brings blobs the cache lacks from a remote. @default {no remote is asked} */
  fetchBlobs?: BlobFetcher;
  /** Told about committed files that differ from what was recorded for them. */
  warn: (message: string) => void;
}

/**
 * Finds each of `items` as `revision` recorded it: the cache by its hash;
 * else the file committed at its path, when it has that hash; else a remote
 * (fetched into the cache); else the committed file even though its hash
 * differs (with a warning). An item that recorded nothing is read from git
 * only, and is `null` when it is not committed either (it did not exist).
 *
 * @throws {PivotError} listing every recorded item found nowhere, and why the remote did not have it
 */
export async function findRecordedContent(
  revision: ProjectRevision,
  items: readonly RecordedContent[],
  options: FindContentOptions,
): Promise<(FoundContent | null)[]> {
  const { cache, fetchBlobs, warn } = options;
  const found: (FoundContent | null)[] = items.map((item) => inCache(cache, item.info, "cache"));
  const committed = await revision.readFiles(
    items.filter((item, i) => found[i] === null && !(item.info !== null && isDirHash(item.info)))
      .map((item) => item.path),
  );
  const fromGit = (item: RecordedContent): FoundContent | null => {
    const content = committed.get(item.path);
    return content === undefined
      ? null
      : { kind: "file", source: "git", content, executable: revision.isExecutable(item.path) };
  };
  items.forEach((item, i) => {
    const content = committed.get(item.path);
    if (found[i] !== null || content === undefined) return;
    if (item.info === null || hashBytes(content) === item.info.hash) found[i] = fromGit(item);
  });
  const wanted = new Map<string, string>();
  items.forEach((item, i) => {
    if (found[i] !== null || item.info === null) return;
    for (const hash of blobsOf(item.info)) {
      if (!wanted.has(hash) && !cache.has(hash)) wanted.set(hash, item.label);
    }
  });
  const reasons = wanted.size === 0 || fetchBlobs === undefined
    ? new Map<string, string>()
    : await fetchBlobs([...wanted].map(([hash, label]) => ({ hash, label })));
  const missing: { item: RecordedContent; reason: string }[] = [];
  items.forEach((item, i) => {
    if (found[i] !== null || item.info === null) return;
    found[i] = inCache(cache, item.info, "remote");
    if (found[i] !== null) return;
    const git = fromGit(item);
    if (git !== null) {
      warn(
        `${
          revision.display(item.path)
        } is not what was recorded for ${item.label} there (${item.info.hash}); using the committed file`,
      );
      found[i] = git;
      return;
    }
    const reason = fetchBlobs === undefined
      ? "no remote was asked"
      : blobsOf(item.info).map((hash) => reasons.get(hash)).find((text) => text !== undefined) ??
        "the remote did not have it";
    missing.push({ item, reason });
  });
  if (missing.length > 0) throw missingError(revision, missing);
  return found;
}

/** The file blobs of `info`: the file's own, or every file of a directory. */
function blobsOf(info: HashInfo): string[] {
  return isDirHash(info) ? info.manifest.map((entry) => entry.hash) : [info.hash];
}

function inCache(
  cache: ContentCache,
  info: HashInfo | null,
  source: "cache" | "remote",
): FoundContent | null {
  if (info === null || !blobsOf(info).every((hash) => cache.has(hash))) return null;
  return isDirHash(info)
    ? { kind: "dir", source, hash: info.hash, manifest: info.manifest }
    : { kind: "file", source, hash: info.hash };
}

function missingError(
  revision: ProjectRevision,
  missing: readonly { item: RecordedContent; reason: string }[],
): PivotError {
  const reasons = new Set(missing.map(({ reason }) => reason));
  const shared = reasons.size === 1 ? [...reasons][0]! : null;
  const listed = missing.map(({ item, reason }) =>
    `${item.label} (${item.path}, content ${item.info!.hash})${
      shared === null ? ` (${reason})` : ""
    }`
  );
  const they = missing.length === 1 ? "it is" : "they are";
  return new PivotError(
    `cannot read ${
      listed.join(", ")
    } as of ${revision.rev}: ${they} not in the cache, not committed to git${
      shared === null ? "" : `, and ${shared}`
    }`,
    {
      hint:
        `check out ${revision.rev} and run 'pivot fetch -r NAME' with a remote that holds it, or 'pivot repro' to rebuild it`,
    },
  );
}
