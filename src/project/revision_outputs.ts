import type { ContentCache, LockedStage } from "../storage/mod.ts";
import { PivotError } from "../util/errors.ts";
import type { ProjectRevision } from "./project_revision.ts";
import { type BlobFetcher, findRecordedContent, type RecordedContent } from "./revision_content.ts";

/** A stage output to read as it was at a revision. */
export interface OutputRequest {
  /** `train:scores`, for messages. */
  readonly identity: string;
  /** Its stage: where its lock file lives. */
  readonly stage: LockedStage;
  /** Output key, or `null` for the stage's single unnamed output. */
  readonly key: string | null;
  /** Its path in the workspace (absolute): read from git when the revision has no lock for it. */
  readonly path: string;
}

/** An output's content at a revision. */
export interface OutputAtRevision {
  /** What was asked for. */
  readonly request: OutputRequest;
  /** Project-relative path it had at the revision. */
  readonly path: string;
  /** Its bytes, or `null` when it did not exist at the revision. */
  readonly content: Uint8Array | null;
  /** Where the bytes came from (`remote`: fetched into the cache just now). */
  readonly source: "cache" | "remote" | "git" | null;
}

/** Options for {@linkcode readOutputsAt}. */
export interface ReadOutputsOptions {
  /** The local content cache, read by the locked hashes. */
  cache: ContentCache;
  /** Brings blobs the cache lacks from a remote. @default {no remote is asked} */
  fetchBlobs?: BlobFetcher;
  /** Told about committed files that differ from what their lock recorded. */
  warn: (message: string) => void;
}

/**
 * The content each requested output has at `revision`, as
 * {@linkcode findRecordedContent} finds it: the stage's lock there gives the
 * path and hash. Without a lock, the workspace path is read from git (null
 * when it is not committed: the output did not exist then).
 */
export async function recordedOutputsAt(
  revision: ProjectRevision,
  requests: readonly OutputRequest[],
): Promise<RecordedContent[]> {
  const locks = await revision.locksFor([...new Set(requests.map((request) => request.stage))]);
  return requests.map((request) => {
    const out = locks.get(request.stage)?.outs.find((entry) => entry.key === request.key);
    if (out === undefined) {
      return { label: request.identity, path: revision.relative(request.path), info: null };
    }
    return {
      label: request.identity,
      path: out.path,
      info: out.manifest === undefined
        ? { hash: out.hash }
        : { hash: out.hash, manifest: out.manifest },
    };
  });
}

/**
 * Reads each requested output (a file) as it was at `revision`: from the
 * local cache by the hash its lock recorded there, else from git, else from
 * a remote (see {@linkcode findRecordedContent}). Without a lock, the
 * workspace path is read from git, and an output found nowhere did not
 * exist then (`content: null`).
 *
 * @throws {PivotError} for a directory output, or listing every output whose lock names content found nowhere
 */
export async function readOutputsAt(
  revision: ProjectRevision,
  requests: readonly OutputRequest[],
  options: ReadOutputsOptions,
): Promise<OutputAtRevision[]> {
  const recorded = await recordedOutputsAt(revision, requests);
  recorded.forEach((item) => {
    if (item.info !== null && "manifest" in item.info) {
      throw new PivotError(
        `${item.label} is a directory output; only files can be read at a revision`,
      );
    }
  });
  const found = await findRecordedContent(revision, recorded, options);
  return await Promise.all(found.map(async (entry, i): Promise<OutputAtRevision> => {
    const request = requests[i]!;
    const { path } = recorded[i]!;
    if (entry === null) return { request, path, content: null, source: null };
    if (entry.source === "git") return { request, path, content: entry.content, source: "git" };
    return {
      request,
      path,
      content: await Deno.readFile(options.cache.blobPath(entry.hash)),
      source: entry.source,
    };
  }));
}
