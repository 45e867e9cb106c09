import type { Session } from "../session/mod.ts";
import { readParams } from "./_read_params.ts";
import { openVersions, type VersionInfo, versionInfo } from "./_versions.ts";
import { selectTargets } from "./select_targets.ts";

/** Options for {@linkcode showParams}. */
export interface ShowParamsOptions {
  /** Stages (or their outputs). @default {every stage} */
  targets?: readonly string[];
  /** A git revision whose locks to read instead of the workspace. @default {null (the workspace)} */
  rev?: string | null;
}

/** One stage's params. */
export interface ShownParams {
  /** The stage's name in the DAG. */
  readonly stage: string;
  /** Flattened params (`a.b.c` keys). */
  readonly params: Record<string, unknown>;
}

/** What {@linkcode showParams} found. */
export interface ParamsReport {
  readonly version: VersionInfo;
  /** Stages that have params, in DAG order. */
  readonly stages: readonly ShownParams[];
}

/**
 * Each stage's effective params (the pipeline file's, after `params.yaml`),
 * or those recorded in a git revision's locks.
 *
 * @throws {PivotError} for bad targets or an unknown revision
 */
export async function showParams(
  session: Session,
  options: ShowParamsOptions = {},
): Promise<ParamsReport> {
  const { targets = [], rev = null } = options;
  const { project } = session;
  const names = await selectTargets(project, targets, false);
  const stages = names.map((name) => project.dag.stages.get(name)!);
  const [version] = await openVersions(session, [rev]);
  const params = await readParams(version!, { stages });
  return {
    version: versionInfo(version!),
    stages: [...params].flatMap(([stage, values]) =>
      values === null || Object.keys(values).length === 0 ? [] : [{ stage, params: values }]
    ),
  };
}
