import type { ContentCache, LockedStage } from "../storage/mod.ts";
import { hashBytes } from "../storage/mod.ts";
import { PivotError } from "../util/errors.ts";
import type { ProjectRevision } from "./project_revision.ts";

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
  /** Where the bytes came from. */
  readonly source: "cache" | "git" | null;
}

/** Options for {@linkcode readOutputsAt}. */
export interface ReadOutputsOptions {
  /** The local content cache, read by the locked hashes. */
  cache: ContentCache;
  /** Told about committed files that differ from what their lock recorded. */
  warn: (message: string) => void;
}

/**
 * Reads each requested output as it was at `revision`. The stage's lock
 * there gives the path and hash: the content comes from the local cache by
 * that hash, else from git (metrics are usually not cached but committed).
 * Without a lock, the workspace path is read from git, and an output found
 * nowhere did not exist then (`content: null`).
 *
 * @throws {PivotError} listing every output whose lock names content that is neither cached nor committed
 */
export async function readOutputsAt(
  revision: ProjectRevision,
  requests: readonly OutputRequest[],
  options: ReadOutputsOptions,
): Promise<OutputAtRevision[]> {
  const { cache, warn } = options;
  const locks = await revision.locksFor([...new Set(requests.map((request) => request.stage))]);
  const planned = requests.map((request) => {
    const out = locks.get(request.stage)?.outs.find((entry) => entry.key === request.key);
    if (out?.manifest !== undefined) {
      throw new PivotError(
        `${request.identity} is a directory output; only files can be read at a revision`,
      );
    }
    return out === undefined
      ? { request, path: revision.relative(request.path), hash: null }
      : { request, path: out.path, hash: out.hash };
  });
  const cached = new Map<string, Uint8Array>();
  for (const { hash } of planned) {
    if (hash !== null && !cached.has(hash) && cache.has(hash)) {
      cached.set(hash, await Deno.readFile(cache.blobPath(hash)));
    }
  }
  const committed = await revision.readFiles(
    planned.filter(({ hash }) => hash === null || !cached.has(hash)).map(({ path }) => path),
  );
  const missing: string[] = [];
  const results = planned.map(({ request, path, hash }): OutputAtRevision => {
    const fromCache = hash === null ? undefined : cached.get(hash);
    if (fromCache !== undefined) return { request, path, content: fromCache, source: "cache" };
    const fromGit = committed.get(path);
    if (fromGit !== undefined) {
      if (hash !== null && hashBytes(fromGit) !== hash) {
        warn(
          `${
            revision.display(path)
          } is not what the lock of ${request.identity} recorded there (${hash}); using the committed file`,
        );
      }
      return { request, path, content: fromGit, source: "git" };
    }
    if (hash !== null) missing.push(`${request.identity} (${path}, content ${hash})`);
    return { request, path, content: null, source: null };
  });
  if (missing.length > 0) {
    throw new PivotError(
      `cannot read ${
        missing.length === 1 ? missing[0] : missing.join(", ")
      } as of ${revision.rev}: ${
        missing.length === 1 ? "it is" : "they are"
      } neither in the cache nor committed to git`,
      {
        hint:
          `fetch the content from a remote with 'pivot fetch', or check out ${revision.rev} and run 'pivot repro' to rebuild it`,
      },
    );
  }
  return results;
}
