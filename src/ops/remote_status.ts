import type { TransferListener } from "../remote/mod.ts";
import type { Session } from "../session/mod.ts";
import { openRemote } from "./open_remote.ts";
import { remoteHolds } from "./_remote_holds.ts";
import { type BlobGroup, selectBlobs } from "./select_blobs.ts";

/**
 * Where the content of an output or tracked path is: `in_sync` (the local
 * cache and the remote hold all of it), `only_local` (the cache holds it,
 * the remote lacks some: `pivot push`), `only_remote` (the remote holds it,
 * the cache lacks some: `pivot pull`), `split` (each lacks some, but every
 * file is in one of them), `missing` (some of it is in neither).
 */
export type RemoteState = "in_sync" | "only_local" | "only_remote" | "split" | "missing";

/** One recorded output or tracked path compared between the cache and the remote. */
export interface RemoteStatusItem {
  /** `train:model → data/ml/train/model.json` (a directory's ends in `/`), or a tracked path. */
  readonly label: string;
  readonly kind: "output" | "tracked";
  readonly status: RemoteState;
  /** Its file blobs (a directory's files). */
  readonly blobs: number;
  /** Of those, in the local cache. */
  readonly local: number;
  /** Of those, on the remote. */
  readonly remote: number;
}

/** What {@linkcode remoteStatus} found. */
export interface RemoteStatusReport {
  /** The remote's name. */
  readonly remote: string;
  /** Its URL, without credentials. */
  readonly url: string;
  /** Every cached output the selected locks record and every selected tracked path, in order. */
  readonly items: readonly RemoteStatusItem[];
  /** Targeted stages with nothing recorded. */
  readonly notRun: readonly string[];
  /** Targeted outputs that are not cached (they live in git, not on a remote). */
  readonly notCached: readonly string[];
  /** Tracking files that could not be read. */
  readonly problems: readonly string[];
}

/** Options for {@linkcode remoteStatus}. */
export interface RemoteStatusOptions {
  /** Identities and tracked paths, as for `push`; empty: everything the locks and `.pvt` files reference. */
  readonly targets: readonly string[];
  /** `-r NAME`. @default {default_remote, else the only remote} */
  readonly remote?: string | undefined;
  /** Trust the remote index (else every blob is asked about). @default {true} */
  readonly useIndex?: boolean;
  /** Hears retries. */
  readonly onEvent?: TransferListener;
}

/**
 * Compares the local cache with a remote for every cached output the
 * selected lock files record and every selected tracked path: which are only
 * local, only remote, or in neither. The remote is asked once for every blob
 * the remote index does not list (listings of its blob directories for many);
 * what it holds is added to the index. Changes nothing else.
 *
 * @throws {PivotError} on an unknown target, no usable remote, or a remote that cannot be asked
 */
export async function remoteStatus(
  session: Session,
  options: RemoteStatusOptions,
): Promise<RemoteStatusReport> {
  const { project, cache, warn } = session;
  const { targets, useIndex = true, onEvent } = options;
  const selection = await selectBlobs(project, { targets, warn });
  await using remote = await openRemote(session, { remote: options.remote });
  const groups = selection.groups.filter((group) => group.kind !== "input");
  const hashes = groups.flatMap((group) => group.hashes);
  const local = new Set(hashes.filter((hash) => cache.has(hash)));
  const onRemote = await remoteHolds(remote, hashes, { cache, useIndex, onEvent });
  return {
    remote: remote.chosen.name,
    url: remote.shownUrl,
    items: groups.map((group) => itemOf(group, local, onRemote)),
    notRun: selection.notRun,
    notCached: selection.notCached,
    problems: selection.problems,
  };
}

function itemOf(
  group: BlobGroup,
  local: ReadonlySet<string>,
  onRemote: ReadonlySet<string>,
): RemoteStatusItem {
  const hashes = [...new Set(group.hashes)];
  const here = hashes.filter((hash) => local.has(hash)).length;
  const there = hashes.filter((hash) => onRemote.has(hash)).length;
  const all = hashes.length;
  const status: RemoteState = hashes.some((hash) => !local.has(hash) && !onRemote.has(hash))
    ? "missing"
    : here === all && there === all
    ? "in_sync"
    : here === all
    ? "only_local"
    : there === all
    ? "only_remote"
    : "split";
  return {
    label: group.label,
    kind: group.kind === "tracked" ? "tracked" : "output",
    status,
    blobs: all,
    local: here,
    remote: there,
  };
}
