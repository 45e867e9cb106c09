import type { Session } from "../session/mod.ts";
import { type ChangeStatus, diffValues } from "../report/mod.ts";
import { readParams } from "./_read_params.ts";
import { openVersions, type VersionInfo, versionInfo } from "./_versions.ts";
import { selectTargets } from "./select_targets.ts";

/** Options for {@linkcode diffParams}. */
export interface DiffParamsOptions {
  /** The old version: a git revision. @default {"HEAD"} */
  from?: string;
  /** The new version: a git revision, or `null` for the workspace. @default {null} */
  to?: string | null;
  /** Stages (or their outputs). @default {every stage, and stages removed since} */
  targets?: readonly string[];
  /** Also list params whose value did not change. @default {false} */
  unchanged?: boolean;
}

/** One param compared. */
export interface ParamChange {
  /** The stage's name in the DAG. */
  readonly stage: string;
  /** Flattened key. */
  readonly key: string;
  readonly old: unknown;
  readonly new: unknown;
  readonly status: ChangeStatus;
}

/** What {@linkcode diffParams} found. */
export interface ParamsDiff {
  readonly old: VersionInfo;
  readonly new: VersionInfo;
  /** Changed params (and unchanged ones when asked), by stage in DAG order, then key. */
  readonly changes: readonly ParamChange[];
}

/**
 * Compares stages' params between two versions: by default those recorded in
 * git `HEAD`'s locks and the workspace's effective params. Without targets,
 * stages whose lock exists only in one version count too.
 *
 * @throws {PivotError} for bad targets or an unknown revision
 */
export async function diffParams(
  session: Session,
  options: DiffParamsOptions = {},
): Promise<ParamsDiff> {
  const { from = "HEAD", to = null, targets = [], unchanged = false } = options;
  const { project } = session;
  const names = await selectTargets(project, targets, false);
  const stages = names.map((name) => project.dag.stages.get(name)!);
  const [before, after] = await openVersions(session, [from, to]);
  const removed = targets.length === 0;
  const old = await readParams(before!, { stages, removed });
  const now = await readParams(after!, { stages, removed });
  const order = [...new Set([...now.keys(), ...old.keys()])];
  const changes = order.flatMap((stage) =>
    diffValues(old.get(stage) ?? null, now.get(stage) ?? null, { unchanged }).map((change) => ({
      stage,
      key: change.key,
      old: change.old,
      new: change.new,
      status: change.status,
    }))
  );
  return { old: versionInfo(before!), new: versionInfo(after!), changes };
}
