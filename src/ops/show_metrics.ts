import type { Session } from "../session/mod.ts";
import { readMetrics } from "./_read_metrics.ts";
import { selectOutputs } from "./_select_outputs.ts";
import { openVersions, type VersionInfo, versionInfo } from "./_versions.ts";

/** Options for {@linkcode showMetrics}. */
export interface ShowMetricsOptions {
  /** Stages or metric identities. @default {every metric output} */
  targets?: readonly string[];
  /** A git revision to read instead of the workspace. @default {null (the workspace)} */
  rev?: string | null;
}

/** One metric output's values. */
export interface ShownMetric {
  /** `train:scores`. */
  readonly identity: string;
  /** Project-relative path. */
  readonly path: string;
  /** Flattened values (`a.b.c` keys), or `null` when the file does not exist. */
  readonly values: Record<string, unknown> | null;
}

/** What {@linkcode showMetrics} found. */
export interface MetricsReport {
  /** The version read. */
  readonly version: VersionInfo;
  /** Every selected metric output, in DAG order. */
  readonly metrics: readonly ShownMetric[];
}

/**
 * The values of the project's metric outputs (json, yaml or csv), flattened,
 * in the workspace or at a git revision.
 *
 * @throws {PivotError} for bad targets, unreadable files, or an unknown revision
 */
export async function showMetrics(
  session: Session,
  options: ShowMetricsOptions = {},
): Promise<MetricsReport> {
  const { targets = [], rev = null } = options;
  const { project } = session;
  const outputs = await selectOutputs(project, targets, "metric");
  const [version] = await openVersions(session, [rev]);
  const read = await readMetrics(version!, outputs);
  return {
    version: versionInfo(version!),
    metrics: read.map(({ output, path, values }) => ({
      identity: output.identity,
      path,
      values,
    })),
  };
}
