/**
 * What a change means in watch mode: which changed paths reload the
 * pipeline (pipeline files, their `vars` files, parameters, config, the code
 * of `run` stages) and which stages read, or produce, the others. Paths are
 * matched as written and by their real paths (a symlinked directory on
 * either side), and a path inside a directory dependency counts for it.
 *
 * @module
 */
import * as path from "node:path";
import type { Dag } from "../dag/mod.ts";
import { PIPELINE_FILE_NAMES } from "../pipeline/mod.ts";
import { type Project, stageOutputs } from "../project/mod.ts";
import { RealPathGuard } from "../util/real_path_guard.ts";
import { PathIndex } from "./path_index.ts";

/** What a batch of changed paths means. */
export interface ClassifiedChanges {
  /** The changed paths that reload the pipeline. */
  readonly reload: readonly string[];
  /** The changed paths that stages read or produce. */
  readonly data: readonly string[];
  /** The stages that read (or produce) `data`, in DAG order. */
  readonly stages: readonly string[];
}

/** The paths of one loaded pipeline that matter to watch mode. */
export class ChangeMap {
  readonly #project: Project;
  readonly #reload: PathIndex<true>;
  readonly #inputs: PathIndex<string>;
  readonly #outputs: PathIndex<string>;

  /**
   * The map of `project`, where changes to `reloadFiles` (and to any
   * pipeline file) reload the pipeline.
   */
  constructor(project: Project, reloadFiles: Iterable<string>) {
    this.#project = project;
    const guard = new RealPathGuard(project.root);
    const forms = (file: string) => pathForms(guard, file);
    this.#reload = new PathIndex(project.root);
    for (const file of reloadFiles) for (const form of forms(file)) this.#reload.add(form, true);
    this.#inputs = new PathIndex(project.root);
    this.#outputs = new PathIndex(project.root);
    for (const [name, stage] of project.dag.stages) {
      for (const dep of stage.def.deps) {
        for (const ref of dep.refs) {
          if (ref.kind !== "file") continue;
          for (const form of forms(ref.path)) {
            this.#inputs.add(form, name);
            this.#inputs.add(`${form}.pvt`, name);
          }
        }
      }
      for (const out of stageOutputs(project.store, stage)) {
        for (const form of forms(out.path)) this.#outputs.add(form, name);
      }
    }
  }

  /** The project the map was built from. */
  get project(): Project {
    return this.#project;
  }

  /**
   * What `paths` (absolute) mean: a reload, stages to run, or nothing.
   * Only stages in `within` count, when given (the stages a watch selected).
   */
  classify(paths: readonly string[], within?: ReadonlySet<string>): ClassifiedChanges {
    const guard = new RealPathGuard(this.#project.root);
    const reload: string[] = [];
    const data: string[] = [];
    const stages = new Set<string>();
    for (const file of paths) {
      const forms = pathForms(guard, file);
      const isPipelineFile = (PIPELINE_FILE_NAMES as readonly string[]).includes(
        path.basename(file),
      );
      if (isPipelineFile || forms.some((form) => this.#reload.find(form).size > 0)) {
        reload.push(file);
        continue;
      }
      const found = new Set<string>();
      for (const form of forms) {
        for (const name of [...this.#inputs.find(form), ...this.#outputs.find(form)]) {
          if (within === undefined || within.has(name)) found.add(name);
        }
      }
      if (found.size === 0) continue;
      data.push(file);
      for (const name of found) stages.add(name);
    }
    return {
      reload,
      data,
      stages: this.#project.dag.order.filter((name) => stages.has(name)),
    };
  }

  /**
   * A test for the outputs of `stages` (and the directories around them),
   * whose changes a run of those stages makes itself.
   */
  outputsOf(stages: Iterable<string>): (file: string) => boolean {
    const index = new PathIndex<true>(this.#project.root);
    const guard = new RealPathGuard(this.#project.root);
    for (const name of stages) {
      const stage = this.#project.dag.stages.get(name);
      if (stage === undefined) continue;
      for (const out of stageOutputs(this.#project.store, stage)) {
        for (const form of pathForms(guard, out.path)) index.add(form, true);
      }
    }
    return (file) => pathForms(guard, file).some((form) => index.find(form).size > 0);
  }
}

/**
 * `stages` and every stage downstream of them, in DAG order, among
 * `within` when given (the stages a watch session selected).
 */
export function withDownstream(
  dag: Dag,
  stages: readonly string[],
  within?: ReadonlySet<string>,
): string[] {
  const found = new Set<string>();
  const pending = [...stages];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (found.has(name)) continue;
    found.add(name);
    pending.push(...(dag.downstream.get(name) ?? []));
  }
  return dag.order.filter((name) => found.has(name) && (within === undefined || within.has(name)));
}

/** `file` as given and its real path (when a symlink leads elsewhere). */
function pathForms(guard: RealPathGuard, file: string): string[] {
  let real: string;
  try {
    real = guard.realPath(file);
  } catch {
    return [file]; // A loop of symlinks: the path as given is all there is.
  }
  return real === file ? [file] : [file, real];
}
