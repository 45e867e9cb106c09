import type { BlobFetcher } from "../project/mod.ts";
import { downloadBlobs } from "../remote/mod.ts";
import type { Session } from "../session/mod.ts";
import { PivotError } from "../util/errors.ts";
import { hasRemote } from "./choose_remote.ts";
import { openRemote } from "./open_remote.ts";

/** Options for {@linkcode remoteBlobFetcher}. */
export interface RemoteBlobFetcherOptions {
  /** `-r NAME`. @default {`default_remote`, else the only remote} */
  remote?: string | undefined;
  /** Stops the downloads (see `TransferOptions.signal`). */
  signal?: AbortSignal | undefined;
}

/**
 * A {@linkcode BlobFetcher} that downloads blobs from the project's remote
 * (the default one, or `remote`) into the session's cache, verified against
 * their hash, and records them in the remote index. The remote is opened
 * only when a blob is asked for; no remote configured, or none chosen, is
 * a reason given for every blob rather than an error.
 */
export function remoteBlobFetcher(
  session: Session,
  options: RemoteBlobFetcherOptions,
): BlobFetcher {
  const { remote: name, signal } = options;
  return async (blobs) => {
    const reasons = new Map<string, string>();
    const all = (reason: string) => {
      for (const blob of blobs) reasons.set(blob.hash, reason);
      return reasons;
    };
    if (blobs.length === 0) return reasons;
    if (
      name === undefined && !hasRemote(session.project.config)
    ) {
      return all("no remote is configured");
    }
    let remote: Awaited<ReturnType<typeof openRemote>>;
    try {
      remote = await openRemote(session, { remote: name });
    } catch (error) {
      if (!(error instanceof PivotError)) throw error;
      return all(`the remote could not be used: ${error.message}`);
    }
    await using _remote = remote;
    const shown = `remote '${remote.chosen.name}'`;
    const outcome = await downloadBlobs(
      remote.backend,
      session.cache,
      blobs,
      { jobs: remote.jobs, retry: remote.retry, signal },
    );
    remote.index.add(outcome.transferred);
    remote.index.drop([...remote.index.known(outcome.notFound)]);
    const notFound = new Set(outcome.notFound);
    for (const failure of outcome.failed) {
      reasons.set(
        failure.hash,
        notFound.has(failure.hash) ? `not on ${shown}` : `${shown} failed: ${failure.reason}`,
      );
    }
    return reasons;
  };
}
