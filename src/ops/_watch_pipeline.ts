/**
 * A pipeline as watch mode keeps it between iterations: the project, the
 * stages the watch selected, the files whose change reloads it (pipeline
 * and `vars` files, parameters, config, the code every `run` stage's
 * fingerprint read) and a signature per stage to tell what a reload
 * modified. Nothing else outlives an iteration's session.
 *
 * @module
 */
import { ChangeMap } from "../engine/change_map.ts";
import { stageFingerprint } from "../engine/stage_fingerprint.ts";
import {
  paramsOverridesFile,
  type Project,
  projectConfigFile,
  userConfigFile,
} from "../project/mod.ts";
import type { Session } from "../session/mod.ts";
import { hashBytes } from "../storage/mod.ts";
import { PivotError } from "../util/errors.ts";
import { selectTargets } from "./select_targets.ts";

/** The pipeline in use by a watch session. */
export interface WatchedPipeline {
  readonly project: Project;
  /** What a change of each path means. */
  readonly changes: ChangeMap;
  /** The stages the watch selected (its targets and their upstream), or the error naming a target. */
  readonly selected: ReadonlySet<string> | PivotError;
  /** Each stage's definition and code, hashed. */
  readonly signatures: ReadonlyMap<string, string>;
}

/** What a reload changed, for the `pipeline_reloaded` event. */
export interface PipelineChanges {
  readonly stages_added: readonly string[];
  readonly stages_removed: readonly string[];
  readonly stages_modified: readonly string[];
}

/**
 * The watched form of the pipeline `session` loaded, for `targets` (none:
 * every stage). Takes the fingerprint of every `run` stage, so the session
 * knows the code files before anything runs (a stage that fails to be
 * fingerprinted, its module broken, is watched through its module).
 */
export async function watchPipeline(
  session: Session,
  targets: readonly string[],
): Promise<WatchedPipeline> {
  const { project } = session;
  const files = new Set<string>();
  for (const pipeline of project.discovery.pipelines) {
    for (const file of pipeline.sources) {
      files.add(file);
    }
  }
  const paramsFile = paramsOverridesFile(project.root, project.config);
  if (paramsFile !== null) files.add(paramsFile);
  files.add(projectConfigFile(project.root));
  const userFile = userConfigFile(project.env);
  if (userFile !== null) files.add(userFile);
  const cache = await session.parseCache();
  const signatures = new Map<string, string>();
  for (const [name, { def }] of project.dag.stages) {
    let code: string;
    try {
      code = (await stageFingerprint(def, project.root, session.fingerprints, cache)).hash;
    } catch (error) {
      if (!(error instanceof PivotError)) throw error;
      code = `error: ${error.message}`;
    }
    if (def.action.kind === "run") files.add(def.action.module);
    signatures.set(name, hashBytes(`${code}\n${JSON.stringify(def)}`));
  }
  for (const file of session.fingerprints.files()) files.add(file);
  let selected: ReadonlySet<string> | PivotError;
  try {
    selected = new Set(await selectTargets(project, targets, true));
  } catch (error) {
    if (!(error instanceof PivotError)) throw error;
    selected = error;
  }
  return { project, changes: new ChangeMap(project, files), selected, signatures };
}

/** The stages added, removed and modified from `before` to `after`. */
export function comparePipelines(
  before: WatchedPipeline | null,
  after: WatchedPipeline,
): PipelineChanges {
  const old = before?.signatures ?? new Map<string, string>();
  const now = after.signatures;
  return {
    stages_added: [...now.keys()].filter((name) => !old.has(name)),
    stages_removed: [...old.keys()].filter((name) => !now.has(name)),
    stages_modified: [...now].filter(([name, sig]) => old.has(name) && old.get(name) !== sig)
      .map(([name]) => name),
  };
}
