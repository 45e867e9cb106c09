import type { Session } from "../session/mod.ts";
import { type ChangeStatus, diffValues } from "../report/mod.ts";
import { readMetrics } from "./_read_metrics.ts";
import { selectOutputs } from "./_select_outputs.ts";
import { openVersions, type VersionInfo, versionInfo } from "./_versions.ts";

/** Options for {@linkcode diffMetrics}. */
export interface DiffMetricsOptions {
  /** The old version: a git revision. @default {"HEAD"} */
  from?: string;
  /** The new version: a git revision, or `null` for the workspace. @default {null} */
  to?: string | null;
  /** Stages or metric identities. @default {every metric output} */
  targets?: readonly string[];
  /** Also list keys whose value did not change. @default {false} */
  unchanged?: boolean;
}

/** One metric key compared. */
export interface MetricChange {
  /** `train:scores`. */
  readonly identity: string;
  /** Project-relative path (in the new version). */
  readonly path: string;
  /** Flattened key. */
  readonly key: string;
  readonly old: unknown;
  readonly new: unknown;
  readonly status: ChangeStatus;
  /** `new - old` for numbers. */
  readonly change: number | null;
  /** The change in percent of `|old|`. */
  readonly percent: number | null;
}

/** What {@linkcode diffMetrics} found. */
export interface MetricsDiff {
  readonly old: VersionInfo;
  readonly new: VersionInfo;
  /** Changed keys (and unchanged ones when asked), by output in DAG order, then key. */
  readonly changes: readonly MetricChange[];
}

/**
 * Compares the project's metric outputs between two versions: by default
 * git `HEAD` and the workspace.
 *
 * @throws {PivotError} for bad targets, unreadable files, or an unknown revision
 */
export async function diffMetrics(
  session: Session,
  options: DiffMetricsOptions = {},
): Promise<MetricsDiff> {
  const { from = "HEAD", to = null, targets = [], unchanged = false } = options;
  const { project } = session;
  const outputs = await selectOutputs(project, targets, "metric");
  const [before, after] = await openVersions(session, [from, to]);
  const old = await readMetrics(before!, outputs);
  const now = await readMetrics(after!, outputs);
  const changes = now.flatMap((entry, i) =>
    diffValues(old[i]!.values, entry.values, { unchanged }).map((change) => ({
      identity: entry.output.identity,
      path: entry.path,
      ...change,
    }))
  );
  return { old: versionInfo(before!), new: versionInfo(after!), changes };
}
