import * as path from "node:path";
import { didYouMean } from "../util/did_you_mean.ts";
import { PivotError } from "../util/errors.ts";
import { statOrNull } from "../util/fs.ts";
import { isInside, relativePosix } from "../util/paths.ts";
import {
  type DepRef,
  findPipelineFile,
  type IdentityDep,
  IsolatedModuleLoader,
  loadPipelineFile,
  type NamedStage,
  type Pipeline,
  PIPELINE_FILE_NAMES,
  type PlainObject,
  type StageDef,
  type TextParseCache,
  UnknownStageDepError,
} from "../pipeline/mod.ts";
import { type PipelineLoadFailure, PipelinesNotLoadedError } from "./pipelines_not_loaded_error.ts";
import { scanPipelineFiles } from "./scan_pipeline_files.ts";
import { useAllHint } from "./use_all_hint.ts";

/** The stages a command works on, and what discovery noticed on the way. */
export interface Discovery {
  /** `all` with `--all`, else the pipeline's name. */
  readonly name: string;
  /** The pipeline files that contributed stages, in load order. */
  readonly pipelines: readonly Pipeline[];
  /** Stages under their DAG names, own pipeline first, then included ones. */
  readonly stages: readonly NamedStage[];
  /** Dependencies on pipelines that were not found (`--all` only; otherwise an error). */
  readonly unresolved: readonly { readonly stage: string; readonly dep: string }[];
  /**
   * What the project-wide search for pipeline files listed (directories) and
   * found (files), or `null` when discovery did not need it.
   */
  readonly scanned: { readonly dirs: readonly string[]; readonly files: readonly string[] } | null;
}

/** Options for {@linkcode discover}. */
export interface DiscoverOptions {
  /** The project root. */
  projectRoot: string;
  /** Where the command runs. */
  cwd: string;
  /** Merge every pipeline of the project. @default {false} */
  all?: boolean;
  /** The project's `params.yaml`. @default {} */
  paramsOverrides?: Readonly<Record<string, PlainObject>>;
  /**
   * The params file (`params.overrides`, absolute), which no output may
   * overwrite. @default {null: only the root's `params.yaml`}
   */
  paramsFile?: string | null;
  /**
   * Return no stages instead of failing when there is no pipeline file (for
   * commands such as `track` that also work on a project without pipelines);
   * `"if-none"`: only when the project has no pipeline file anywhere (a
   * project of tracked data), so that `status` or `verify` run where no
   * pipeline is found fails rather than passing over the project's pipelines.
   * @default {false}
   */
  pipelinesOptional?: PipelinesOptional;
  /** Parsed pipeline files by content. */
  parseCache?: TextParseCache;
  /** Seconds a `pipeline.ts` module may take to load. @default {60} */
  loadTimeout?: number;
  /** Stops a `pipeline.ts` module's load (the command was stopped). @default {none} */
  signal?: AbortSignal;
  /**
   * Told of each `pipeline.ts` module just before it is loaded, so that its
   * code can be parsed meanwhile (the load waits for a worker). @default {none}
   */
  beforeModuleLoad?: (file: string) => void;
}

/** When a command may see no stages: never, always, or only in a project without pipelines. */
export type PipelinesOptional = boolean | "if-none";

/** The discovery of a project without pipelines. */
export function emptyDiscovery(): Discovery {
  return { name: "(none)", pipelines: [], stages: [], unresolved: [], scanned: null };
}

/**
 * Finds and loads the stages a command works on: the pipeline in `cwd` (else
 * at the project root) plus the producers of its cross-pipeline dependencies,
 * or, with `all`, every pipeline of the project merged into one.
 *
 * @throws {PivotError} when no pipeline is found or a pipeline file is invalid
 */
export async function discover(options: DiscoverOptions): Promise<Discovery> {
  const {
    projectRoot,
    cwd,
    all = false,
    paramsOverrides = {},
    paramsFile = null,
    pipelinesOptional = false,
    parseCache,
    loadTimeout,
    signal,
    beforeModuleLoad,
  } = options;
  // One worker imports every pipeline.ts of this discovery; it is stopped before returning.
  using moduleLoader = new IsolatedModuleLoader({
    ...(loadTimeout === undefined ? {} : { timeout: loadTimeout }),
    ...(signal === undefined ? {} : { signal }),
  });
  const index = new PipelineIndex(
    projectRoot,
    { overrides: paramsOverrides, file: paramsFile },
    parseCache,
    moduleLoader,
    beforeModuleLoad,
  );
  if (all) return await discoverAll(index, pipelinesOptional);
  try {
    return await discoverDefault(index, cwd, pipelinesOptional);
  } catch (error) {
    if (!(error instanceof UnknownStageDepError)) throw error;
    // Only on this error path: every pipeline of the project is loaded to find the stage.
    throw error.elsewhere(stageOwners(error, (await index.loadAll()).pipelines));
  }
}

/**
 * The names of the pipelines among `pipelines` that have the stage (and the
 * output) `error`'s dependency names, other than the one it is written in.
 */
function stageOwners(error: UnknownStageDepError, pipelines: readonly Pipeline[]): string[] {
  const { stage, key } = error.dep;
  return pipelines.filter((pipeline) =>
    pipeline.file !== error.file &&
    pipeline.stages.some((def) =>
      def.name === stage && (key === null || def.outs.some((out) => out.key === key))
    )
  ).map((pipeline) => pipeline.name);
}

/** The project's params file: its overrides and where it is. */
interface ParamsSource {
  readonly overrides: Readonly<Record<string, PlainObject>>;
  readonly file: string | null;
}

/** Loads pipelines on demand and finds them by name. */
class PipelineIndex {
  readonly #projectRoot: string;
  readonly #params: ParamsSource;
  readonly #loaded = new Map<string, Pipeline>();
  #files: string[] | null = null;
  readonly #scannedDirs: string[] = [];

  readonly #parseCache: TextParseCache | undefined;
  readonly #moduleLoader: IsolatedModuleLoader;
  readonly #beforeModuleLoad: ((file: string) => void) | undefined;

  constructor(
    projectRoot: string,
    params: ParamsSource,
    parseCache: TextParseCache | undefined,
    moduleLoader: IsolatedModuleLoader,
    beforeModuleLoad: ((file: string) => void) | undefined,
  ) {
    this.#projectRoot = projectRoot;
    this.#params = params;
    this.#parseCache = parseCache;
    this.#moduleLoader = moduleLoader;
    this.#beforeModuleLoad = beforeModuleLoad;
  }

  get projectRoot(): string {
    return this.#projectRoot;
  }

  async files(): Promise<string[]> {
    this.#files ??= await scanPipelineFiles(
      this.#projectRoot,
      (dir) => this.#scannedDirs.push(dir),
    );
    return this.#files;
  }

  /** What {@linkcode files} listed and found, or `null` before it is called. */
  get scanned(): Discovery["scanned"] {
    return this.#files === null ? null : { dirs: this.#scannedDirs, files: this.#files };
  }

  async load(file: string): Promise<Pipeline> {
    let pipeline = this.#loaded.get(file);
    if (pipeline === undefined) {
      pipeline = await loadPipelineFile(file, {
        projectRoot: this.#projectRoot,
        paramsOverrides: this.#params.overrides,
        paramsFile: this.#params.file,
        moduleLoader: this.#moduleLoader,
        ...(this.#parseCache === undefined ? {} : { parseCache: this.#parseCache }),
        ...(this.#beforeModuleLoad === undefined
          ? {}
          : { beforeModuleLoad: this.#beforeModuleLoad }),
      });
      this.#loaded.set(file, pipeline);
    }
    return pipeline;
  }

  /** Every pipeline of the project that loads, and the files that do not, with their errors. */
  async loadAll(): Promise<{ pipelines: Pipeline[]; failures: PipelineLoadFailure[] }> {
    const pipelines: Pipeline[] = [];
    const failures: PipelineLoadFailure[] = [];
    for (const file of await this.files()) {
      try {
        pipelines.push(await this.load(file));
      } catch (error) {
        if (!(error instanceof PivotError)) throw error;
        failures.push({ file: relativePosix(this.#projectRoot, file), error });
      }
    }
    return { pipelines, failures };
  }

  /** Files that failed to load while searching by name, with their errors. */
  readonly failures = new Map<string, string>();

  /**
   * The pipeline called `name`, trying directories of that name first; `null`
   * if none. A file that fails to load stops the search only when its
   * directory has that name; other failures are remembered in `failures`.
   */
  async findByName(name: string): Promise<Pipeline | null> {
    for (const pipeline of this.#loaded.values()) if (pipeline.name === name) return pipeline;
    const files = await this.files();
    const likely = files.filter((file) => path.basename(path.dirname(file)) === name);
    const rest = files.filter((file) => !likely.includes(file));
    let found: Pipeline | null = null;
    for (const file of [...likely, ...rest]) {
      // Directories named after the pipeline normally hold it: once all of them are
      // loaded, a match among them ends the search. A match elsewhere needs the full
      // scan, to find a second pipeline of the same name.
      if (found !== null && likely.includes(found.file) && !likely.includes(file)) break;
      if (this.#loaded.has(file) || this.failures.has(file)) continue;
      let pipeline: Pipeline;
      try {
        pipeline = await this.load(file);
      } catch (error) {
        if (!(error instanceof PivotError) || likely.includes(file)) throw error;
        this.failures.set(file, error.message);
        continue;
      }
      if (pipeline.name === name) found ??= pipeline;
    }
    checkUniqueNames([...this.#loaded.values()], this.#projectRoot);
    return found;
  }
}

async function discoverDefault(
  index: PipelineIndex,
  cwd: string,
  pipelinesOptional: PipelinesOptional,
): Promise<Discovery> {
  const projectRoot = index.projectRoot;
  const here = Deno.realPathSync(cwd);
  let file = isInside(projectRoot, here) ? await findPipelineFile(here) : null;
  file ??= await findPipelineFile(projectRoot);
  if (file === null) {
    if (pipelinesOptional === true) return emptyDiscovery();
    // A project of tracked data only has no stages; one whose pipelines are elsewhere is an
    // error (a `status` or `verify` gate run in the wrong directory must not pass over them).
    const elsewhere = await scanPipelineFiles(projectRoot);
    if (pipelinesOptional === "if-none" && elsewhere.length === 0) return emptyDiscovery();
    const where = here === projectRoot
      ? "at the project root"
      : `in ${relativePosix(projectRoot, here)} or at the project root`;
    throw new PivotError(
      `no pipeline file ${where} (looked for ${PIPELINE_FILE_NAMES.join(", ")})`,
      {
        hint: elsewhere.length === 0
          ? "create a pivot.yaml here, or use --all for every pipeline of the project"
          : useAllHint(elsewhere.map((found) => relativePosix(here, found))),
      },
    );
  }
  const home = await index.load(file);
  const stages = new Map<string, NamedStage>();
  const pipelines = [home];
  const queue: StageDef[] = [];
  const stagesByName = new StagesByName();
  const add = (def: StageDef) => {
    const name = def.pipeline === home.name ? def.name : `${def.pipeline}/${def.name}`;
    stages.set(qualifiedName(def), { name, def });
    queue.push(def);
  };
  home.stages.forEach(add);

  for (let next = 0; next < queue.length; next++) {
    const consumer = queue[next]!;
    const rewritten = await resolveForeignDeps(consumer, async (dep) => {
      const producerPipeline = dep.pipeline === home.name
        ? home
        : await index.findByName(dep.pipeline);
      if (producerPipeline === null) return "missing";
      // Checked for every dependency, not only the first to include the producer.
      const producer = findProducer(stagesByName, producerPipeline, dep, consumer, projectRoot);
      if (stages.has(qualifiedName(producer))) return "found";
      if (!pipelines.includes(producerPipeline)) pipelines.push(producerPipeline);
      add(producer);
      return "found";
    });
    if (rewritten.missing.length > 0) {
      const dep = rewritten.missing[0]!;
      const skipped = [...index.failures].map(([f, message]) =>
        `${relativePosix(projectRoot, f)}: ${message}`
      );
      throw new PivotError(
        `stage '${consumer.name}' in ${
          relativePosix(projectRoot, consumer.file)
        } depends on '${dep.text}', but the project has no pipeline '${dep.pipeline}' and no file ${dep.text}`,
        {
          hint: skipped.length > 0
            ? `these pipeline files failed to load and may hold it:\n${skipped.join("\n")}`
            : "check the pipeline name (pipelines are named by 'pipeline:' or their directory)",
        },
      );
    }
    if (rewritten.def !== consumer) {
      const key = qualifiedName(consumer);
      stages.set(key, { name: stages.get(key)!.name, def: rewritten.def });
    }
  }
  return {
    name: home.name,
    pipelines,
    stages: [...stages.values()],
    unresolved: [],
    scanned: index.scanned,
  };
}

async function discoverAll(
  index: PipelineIndex,
  pipelinesOptional: PipelinesOptional,
): Promise<Discovery> {
  const projectRoot = index.projectRoot;
  const { pipelines, failures } = await index.loadAll();
  // A CI gate such as `verify --all` must never pass over a pipeline it could not read.
  if (failures.length > 0) {
    throw new PipelinesNotLoadedError(
      failures.map((failure) =>
        failure.error instanceof UnknownStageDepError
          ? { ...failure, error: failure.error.elsewhere(stageOwners(failure.error, pipelines)) }
          : failure
      ),
    );
  }
  if (pipelines.length === 0) {
    if (pipelinesOptional) return emptyDiscovery();
    throw new PivotError(
      `no pipeline files in the project (looked for ${PIPELINE_FILE_NAMES.join(", ")})`,
      { hint: "create a pivot.yaml (see the README)" },
    );
  }
  checkUniqueNames(pipelines, projectRoot);

  const merged: NamedStage[] = [];
  const taken = new Set<string>();
  for (const pipeline of pipelines) {
    const prefix = pipeline.stages.some((stage) => taken.has(stage.name));
    for (const def of pipeline.stages) {
      const name = prefix ? `${pipeline.name}/${def.name}` : def.name;
      taken.add(name);
      merged.push({ name, def });
    }
  }

  const byPipeline = new Map(pipelines.map((pipeline) => [pipeline.name, pipeline]));
  const stagesByName = new StagesByName();
  const unresolved: { stage: string; dep: string }[] = [];
  const stages: NamedStage[] = [];
  for (const stage of merged) {
    const rewritten = await resolveForeignDeps(stage.def, (dep) => {
      const pipeline = byPipeline.get(dep.pipeline);
      if (pipeline === undefined) return Promise.resolve("missing");
      // Checks the stage and the output key, as a run without --all does.
      findProducer(stagesByName, pipeline, dep, stage.def, projectRoot);
      return Promise.resolve("found");
    });
    for (const dep of rewritten.missing) unresolved.push({ stage: stage.name, dep: dep.text });
    stages.push({ name: stage.name, def: rewritten.def });
  }
  return { name: "all", pipelines, stages, unresolved, scanned: index.scanned };
}

/** `<pipeline>/<stage>`: unique across the project, whatever the DAG name. */
export function qualifiedName(def: StageDef): string {
  return `${def.pipeline}/${def.name}`;
}

/**
 * Looks stages up by name in their pipelines, each pipeline indexed on first
 * use (a fan-in of thousands of stages would otherwise search the pipeline
 * once per dependency).
 */
class StagesByName {
  readonly #index = new Map<Pipeline, Map<string, StageDef>>();

  /** The stage of `pipeline` called `name`, if any. */
  get(pipeline: Pipeline, name: string): StageDef | undefined {
    let byName = this.#index.get(pipeline);
    if (byName === undefined) {
      byName = new Map();
      // The first of a name, as a search in declaration order finds.
      for (const stage of pipeline.stages) {
        if (!byName.has(stage.name)) byName.set(stage.name, stage);
      }
      this.#index.set(pipeline, byName);
    }
    return byName.get(name);
  }
}

function findProducer(
  stagesByName: StagesByName,
  pipeline: Pipeline,
  dep: IdentityDep,
  consumer: StageDef,
  projectRoot: string,
): StageDef {
  const producer = stagesByName.get(pipeline, dep.stage);
  if (producer === undefined) {
    throw new PivotError(
      `stage '${consumer.name}' in ${
        relativePosix(projectRoot, consumer.file)
      } depends on '${dep.text}', but pipeline '${pipeline.name}' has no stage '${dep.stage}'${
        didYouMean(dep.stage, pipeline.stages.map((stage) => stage.name))
      }`,
    );
  }
  const keys = producer.outs.flatMap((out) => (out.key === null ? [] : [out.key]));
  if (producer.outs.length === 0) {
    throw new PivotError(
      `stage '${consumer.name}' depends on '${dep.text}', which declares no outputs`,
    );
  }
  if (dep.key !== null && !keys.includes(dep.key)) {
    throw new PivotError(
      `stage '${consumer.name}' depends on '${dep.text}', but '${dep.pipeline}/${dep.stage}' has no output '${dep.key}'${
        didYouMean(dep.key, keys)
      }`,
    );
  }
  return producer;
}

/**
 * Visits each dependency on another pipeline's stage. One whose pipeline is
 * missing becomes a file dependency when such a file exists, else is
 * reported back as missing.
 */
async function resolveForeignDeps(
  def: StageDef,
  visit: (dep: IdentityDep) => Promise<"found" | "missing">,
): Promise<{ def: StageDef; missing: IdentityDep[] }> {
  const missing: IdentityDep[] = [];
  let changed = false;
  const deps = [];
  for (const entry of def.deps) {
    const refs: DepRef[] = [];
    for (const ref of entry.refs) {
      if (ref.kind !== "identity" || (await visit(ref)) === "found") {
        refs.push(ref);
        continue;
      }
      // The identity grammar admits no '..' component, so this stays under the pipeline directory.
      const file = path.resolve(def.dir, ref.text);
      if (await presentOrTracked(file, def.dir)) {
        refs.push({ kind: "file", text: ref.text, path: file });
        changed = true;
        continue;
      }
      missing.push(ref);
      refs.push(ref);
    }
    deps.push({ ...entry, refs });
  }
  return { def: changed ? { ...def, deps } : def, missing };
}

/**
 * True when `file` exists, or is tracked (its own `.pvt`, or one of a
 * directory holding it, below `dir`): a tracked path missing from the
 * workspace (a fresh clone, a deleted directory) is still a path, not a
 * `pipeline/stage` identity.
 */
async function presentOrTracked(file: string, dir: string): Promise<boolean> {
  if ((await statOrNull(file)) !== null) return true;
  for (let at = file; at !== dir && isInside(dir, at); at = path.dirname(at)) {
    if ((await statOrNull(`${at}.pvt`))?.isFile) return true;
  }
  return false;
}

function checkUniqueNames(pipelines: readonly Pipeline[], projectRoot: string): void {
  const seen = new Map<string, Pipeline>();
  for (const pipeline of pipelines) {
    const other = seen.get(pipeline.name);
    if (other !== undefined) {
      throw new PivotError(
        `two pipelines are named '${pipeline.name}': ${
          relativePosix(projectRoot, other.file)
        } and ${relativePosix(projectRoot, pipeline.file)}`,
        { hint: "give one of them another name with 'pipeline: <name>'" },
      );
    }
    seen.set(pipeline.name, pipeline);
  }
}
