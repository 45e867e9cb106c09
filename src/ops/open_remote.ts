import {
  openBackend,
  redactUrl,
  type RemoteBackend,
  type RemoteIndex,
  type RetryPolicy,
} from "../remote/mod.ts";
import type { Session } from "../session/mod.ts";
import { UsageError } from "../util/errors.ts";
import { chooseRemote, type ChosenRemote } from "./choose_remote.ts";

/** An open remote for one command: its backend and its index in the project's `state.db`. */
export interface OpenRemote extends AsyncDisposable {
  readonly chosen: ChosenRemote;
  /** The URL as it may be shown (no credentials). */
  readonly shownUrl: string;
  readonly backend: RemoteBackend;
  /** The remote index in the project's `state.db`, keyed by the remote's URL. */
  readonly index: RemoteIndex;
  /** Parallel transfers. */
  readonly jobs: number;
  readonly retry: RetryPolicy;
}

/** Options for {@linkcode openRemote}. */
export interface OpenRemoteOptions {
  /** `-r NAME`; default: `default_remote`, else the only remote. */
  readonly remote?: string | undefined;
  /** `-j N`; default: the remote's `jobs`, else `remote.jobs`. */
  readonly jobs?: number | undefined;
}

/**
 * Chooses the remote and opens its backend, with its index in the
 * session's project `state.db`; dispose of the result to close the backend.
 *
 * @throws {PivotError} when no remote fits or it cannot be opened
 */
export async function openRemote(
  session: Session,
  options: OpenRemoteOptions,
): Promise<OpenRemote> {
  const { project } = session;
  const { remote, jobs } = options;
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) {
    throw new UsageError(`--jobs must be a whole number of at least 1, not ${jobs}`);
  }
  const chosen = chooseRemote(project.config, project.root, remote);
  const backend = await openBackend(chosen.spec, project.root);
  let db;
  try {
    db = await session.projectDb();
  } catch (error) {
    backend.close();
    throw error;
  }
  const key = backend.indexKey;
  return {
    chosen,
    shownUrl: redactUrl(chosen.spec.url),
    backend,
    index: {
      known: (hashes) => db.knownOnRemote(key, hashes),
      add: (hashes) => db.addToRemoteIndex(key, hashes),
      drop: (hashes) => db.dropFromRemoteIndex(key, hashes),
    },
    jobs: jobs ?? chosen.jobs,
    retry: { retries: chosen.retries, baseDelayMs: chosen.retryDelayMs },
    [Symbol.asyncDispose]() {
      backend.close();
      return Promise.resolve();
    },
  };
}
