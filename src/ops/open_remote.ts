import * as path from "node:path";
import type { Project } from "../project/mod.ts";
import {
  openBackend,
  redactUrl,
  type RemoteBackend,
  type RemoteIndex,
  type RetryPolicy,
} from "../remote/mod.ts";
import { type StateDb, StateDbs } from "../storage/mod.ts";
import { UsageError } from "../util/errors.ts";
import { chooseRemote, type ChosenRemote } from "./choose_remote.ts";

/** An open remote for one command: backend, index and the state databases it writes. */
export interface OpenRemote extends AsyncDisposable {
  readonly chosen: ChosenRemote;
  /** The URL as it may be shown (no credentials). */
  readonly shownUrl: string;
  readonly backend: RemoteBackend;
  /** The remote index in the project's `state.db`, keyed by the remote's URL. */
  readonly index: RemoteIndex;
  /** `state.db` per state dir (stages' run caches). */
  readonly dbs: StateDbs;
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
  /** Told about state databases that had to be reset. */
  readonly warn: (message: string) => void;
}

/**
 * Chooses the remote, opens its backend and the project's `state.db`;
 * dispose of the result to close them.
 *
 * @throws {PivotError} when no remote fits or it cannot be opened
 */
export async function openRemote(
  project: Pick<Project, "root" | "config">,
  options: OpenRemoteOptions,
): Promise<OpenRemote> {
  const { remote, jobs, warn } = options;
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) {
    throw new UsageError(`--jobs must be a whole number of at least 1, not ${jobs}`);
  }
  const chosen = chooseRemote(project.config, project.root, remote);
  const backend = await openBackend(chosen.spec, project.root);
  const dbs = new StateDbs(warn);
  let db: StateDb;
  try {
    db = await dbs.get(path.join(project.root, ".pivot"));
  } catch (error) {
    backend.close();
    await dbs.close();
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
    dbs,
    jobs: jobs ?? chosen.jobs,
    retry: { retries: chosen.retries },
    async [Symbol.asyncDispose]() {
      backend.close();
      await dbs.close();
    },
  };
}
