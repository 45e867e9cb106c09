import * as path from "node:path";
import { buildDag, CycleError, type Dag } from "../dag/mod.ts";
import type { Discovery, PipelinesOptional } from "../discovery/discover.ts";
import { findProjectRoot } from "../discovery/find_project_root.ts";
import { locksUnderOtherName, locksUnderOtherNameWarning } from "./locks_under_other_name.ts";
import { DEFAULT_LOAD_TIMEOUT } from "../pipeline/default_load_timeout.ts";
import type { NamedStage } from "../pipeline/types.ts";
import type { TextParseCache } from "../pipeline/load_pipeline_file.ts";
import { xxhashReady } from "../storage/mod.ts";
import { WorkspaceStore } from "../store/mod.ts";
import { PivotError } from "../util/errors.ts";
import { type EnvReader, processEnv } from "../util/env_reader.ts";
import { existsSync } from "../util/fs.ts";
import { isInside, relativePosix } from "../util/paths.ts";
import {
  type Config,
  configNumber,
  configString,
  loadConfig,
  paramsOverridesFile,
} from "./config.ts";

/** One stage output with its identity and workspace path. */
export interface ProjectOutput {
  /** DAG name of the producing stage. */
  readonly stage: string;
  /** Output key, or `null` for the single unnamed output. */
  readonly key: string | null;
  /** `train:model`. */
  readonly identity: string;
  /** Absolute workspace path. */
  readonly path: string;
  /** True for a directory output. */
  readonly isDir: boolean;
}

/** A file dependency that neither exists nor is tracked. */
export interface MissingInput {
  /** DAG name of the stage that needs it. */
  readonly stage: string;
  /** The dependency as written (or the project-relative path). */
  readonly dep: string;
}

/** Everything a command needs, built once: config, stages, store and graph. */
export interface Project {
  /** The project root. */
  readonly root: string;
  /** Where the command was run. */
  readonly cwd: string;
  /** Merged configuration. */
  readonly config: Config;
  /** The environment variables the command sees (config and cache locations). */
  readonly env: EnvReader;
  /** The identity → path resolver. */
  readonly store: WorkspaceStore;
  /** What discovery found (pipelines, stages, warnings). */
  readonly discovery: Discovery;
  /** The validated stage graph. */
  readonly dag: Dag;
  /** Every stage output, by absolute path. */
  readonly outputsByPath: ReadonlyMap<string, ProjectOutput>;
  /** File dependencies that do not exist and are not tracked, plus unresolved identities. */
  readonly missingInputs: readonly MissingInput[];
  /** Warnings to show (discovery problems, missing inputs). */
  readonly warnings: readonly string[];
  /**
   * The signatures of the files the project was loaded from, when its stages
   * were taken from a kept graph (see `pipeline_graph.ts`) instead of the
   * pipeline files. @default {loaded from the pipeline files}
   */
  readonly reusedGraph?: string;
}

/** Options for {@linkcode openProject}. */
export interface OpenProjectOptions {
  /** Where the command runs. @default {Deno.cwd()} */
  cwd?: string;
  /** Merge every pipeline of the project (`--all`). @default {false} */
  all?: boolean;
  /**
   * Open a project without pipeline files as one with no stages (`"if-none"`:
   * only when the project has none anywhere). @default {false}
   */
  pipelinesOptional?: PipelinesOptional;
  /** Seconds a `pipeline.ts` module may take to load. @default {the config's `core.load_timeout`} */
  loadTimeout?: number;
  /** Stops a `pipeline.ts` module's load (the command was stopped). @default {none} */
  signal?: AbortSignal | undefined;
  /**
   * Load the pipelines; `false` opens the project with no stages, for
   * commands that only need its root, config and state. @default {true}
   */
  withPipelines?: boolean;
  /** Parsed pipeline files by content (the session's parse cache). @default {none} */
  parseCache?: TextParseCache;
  /** The environment variables the command sees. @default {processEnv} */
  env?: EnvReader;
  /**
   * Told of each `pipeline.ts` module just before it is loaded, so that its
   * code can be parsed meanwhile (the load waits for a worker). @default {none}
   */
  beforeModuleLoad?: (file: string) => void;
  /**
   * Stages already discovered from the same files (a kept graph, see
   * `pipeline_graph.ts`): used instead of loading the pipeline files, with
   * the signatures of those files they are valid for and the paths the stamp
   * it was kept with found changed. @default {none}
   */
  reuse?: {
    readonly discovery: Discovery;
    readonly sources: string;
    readonly changed: ReadonlySet<string>;
  };
}

/**
 * Finds the project, loads its config and pipelines, and builds and validates
 * the stage graph.
 *
 * @throws {PivotError} on any invalid pipeline, a cycle, or conflicting outputs
 */
export async function openProject(options: OpenProjectOptions = {}): Promise<Project> {
  const {
    cwd = Deno.cwd(),
    all = false,
    pipelinesOptional = false,
    loadTimeout,
    signal,
    withPipelines = true,
    parseCache,
    env = processEnv,
    beforeModuleLoad,
    reuse,
  } = options;
  await xxhashReady;
  const root = findProjectRoot(cwd);
  const config = await loadConfig(root, env);
  const paramsFile = paramsOverridesFile(root, config);
  let discovery = reuse?.discovery;
  if (discovery === undefined) {
    // The pipeline loaders are imported only to load pipeline files: a kept graph needs none.
    const { discover, emptyDiscovery } = await import("../discovery/discover.ts");
    const { loadParamsFile } = await import("../pipeline/load_params_file.ts");
    discovery = withPipelines
      ? await discover({
        projectRoot: root,
        cwd,
        all,
        paramsOverrides: await loadParamsFile(root, paramsFile),
        paramsFile,
        pipelinesOptional,
        ...(parseCache === undefined ? {} : { parseCache }),
        ...(beforeModuleLoad === undefined ? {} : { beforeModuleLoad }),
        ...(signal === undefined ? {} : { signal }),
        loadTimeout: loadTimeout ?? configNumber(config, "core.load_timeout") ??
          DEFAULT_LOAD_TIMEOUT,
      })
      : emptyDiscovery();
  }
  const dataDir = configString(config, "store.data_dir");
  const store = new WorkspaceStore(root, dataDir === undefined ? {} : { dataDir });
  const dag = await buildLocatedDag(discovery.stages, root);
  const outputsByPath = collectOutputs(discovery.stages, store);
  // Stages of a kept graph passed this check when they were built: it reads nothing else.
  if (reuse === undefined) checkFileDeps(discovery.stages, outputsByPath, store);
  const missingInputs = [
    ...discovery.unresolved,
    ...findMissingInputs(discovery.stages, root, reuse?.changed),
  ];
  const warnings: string[] = [];
  if (missingInputs.length > 0) {
    const neededBy = new Map<string, string[]>();
    for (const { dep, stage } of missingInputs) {
      neededBy.set(dep, [...(neededBy.get(dep) ?? []), stage]);
    }
    const list = [...neededBy].map(([dep, stages]) => `${dep} (needed by ${stages.join(", ")})`)
      .join(", ");
    warnings.push(`inputs that no stage produces and that are not present or tracked: ${list}`);
  }
  for (const found of locksUnderOtherName(discovery.pipelines)) {
    warnings.push(locksUnderOtherNameWarning(found, root));
  }
  return {
    root,
    cwd: Deno.realPathSync(cwd),
    config,
    env,
    store,
    discovery,
    dag,
    outputsByPath,
    missingInputs,
    warnings,
    ...(reuse === undefined ? {} : { reusedGraph: reuse.sources }),
  };
}

/**
 * {@linkcode buildDag}, and on a cycle, each stage on it located in its
 * pipeline file (`pivot.yaml:3`; the file alone where the line is unknown).
 *
 * @throws {CycleError} on a cycle, with the locations
 */
async function buildLocatedDag(stages: readonly NamedStage[], root: string): Promise<Dag> {
  try {
    return buildDag(stages);
  } catch (error) {
    if (!(error instanceof CycleError)) throw error;
    const { stageLines } = await import("../pipeline/stage_lines.ts");
    const lines = await stageLines(error.stages.map((stage) => stage.def));
    throw new CycleError(
      error.stages,
      error.stages.map((stage, i) => {
        const file = relativePosix(root, stage.def.file);
        return lines[i] === undefined ? file : `${file}:${lines[i]}`;
      }),
    );
  }
}

/** The stage's outputs with identities and paths. */
export function stageOutputs(store: WorkspaceStore, stage: NamedStage): ProjectOutput[] {
  return store.outputs(stage.def).map((out) => ({
    stage: stage.name,
    key: out.key,
    identity: out.key === null ? stage.name : `${stage.name}:${out.key}`,
    path: out.path,
    isDir: out.isDir,
  }));
}

function collectOutputs(
  stages: readonly NamedStage[],
  store: WorkspaceStore,
): Map<string, ProjectOutput> {
  const byPath = new Map<string, ProjectOutput>();
  const fileOf = new Map<ProjectOutput, string>();
  const describe = (out: ProjectOutput) =>
    `${out.identity} → ${store.displayPath(out.path, out.isDir)} (${
      relativePosix(store.projectRoot, fileOf.get(out)!)
    })`;
  for (const stage of stages) {
    for (const out of stageOutputs(store, stage)) {
      fileOf.set(out, stage.def.file);
      const other = byPath.get(out.path);
      if (other !== undefined) {
        throw new PivotError(
          `two outputs at ${store.displayPath(out.path, out.isDir)}: ${describe(other)} and ${
            describe(out)
          }`,
          { hint: "give each output its own path" },
        );
      }
      byPath.set(out.path, out);
    }
  }
  const dirs = [...byPath.values()].filter((out) => out.isDir);
  for (const out of byPath.values()) {
    const parent = dirs.find((dir) => dir !== out && isInside(dir.path, out.path));
    if (parent !== undefined) {
      throw new PivotError(
        `${describe(out)} lies inside the directory output ${describe(parent)}`,
        { hint: "a directory output holds only what its own stage writes: move one of them" },
      );
    }
  }
  return byPath;
}

/** The output at `file` or the directory output that holds it, or `undefined`. */
export function outputCovering(
  outputsByPath: ReadonlyMap<string, ProjectOutput>,
  file: string,
): ProjectOutput | undefined {
  const exact = outputsByPath.get(file);
  if (exact !== undefined) return exact;
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const out = outputsByPath.get(dir);
    if (out?.isDir) return out;
  }
  return undefined;
}

/** A file dependency must not name a stage output: that is what identities are for. */
function checkFileDeps(
  stages: readonly NamedStage[],
  outputsByPath: ReadonlyMap<string, ProjectOutput>,
  store: WorkspaceStore,
): void {
  const holdsOutputs = new Set<string>();
  for (const file of outputsByPath.keys()) {
    for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      if (holdsOutputs.has(dir)) break;
      holdsOutputs.add(dir);
    }
  }
  // Without directory outputs, only an output at the very path covers a file (most projects).
  const dirOutputs = [...outputsByPath.values()].some((out) => out.isDir);
  for (const stage of stages) {
    for (const entry of stage.def.deps) {
      for (const dep of entry.refs) {
        if (dep.kind !== "file") continue;
        const out = dirOutputs
          ? outputCovering(outputsByPath, dep.path)
          : outputsByPath.get(dep.path);
        const inner = out === undefined && holdsOutputs.has(dep.path)
          ? [...outputsByPath.values()].find((o) => isInside(dep.path, o.path))
          : undefined;
        if (out === undefined && inner === undefined) continue;
        const shown = store.displayPath(dep.path);
        const detail = out !== undefined
          ? `${shown} is ${
            out.path === dep.path ? "" : "inside "
          }the output ${out.identity}; depend on the identity '${out.identity}'`
          : `${shown} holds the output ${
            inner!.identity
          }; depend on the identities of the outputs instead`;
        throw new PivotError(
          `stage '${stage.name}' in ${
            relativePosix(store.projectRoot, stage.def.file)
          }: dependency '${entry.name}' names a file, but ${detail}`,
        );
      }
    }
  }
}

/**
 * The file inputs of `stages` that neither exist nor are tracked; with
 * `changed`, only among those whose path or `.pvt` file is in it. (Stages
 * of a kept graph are used only when every file input exists, as
 * `reusedStagesHold` found: one gone since is looked for by the build of
 * the pipeline files.)
 */
function findMissingInputs(
  stages: readonly NamedStage[],
  root: string,
  changed?: ReadonlySet<string>,
): MissingInput[] {
  const files: { stage: string; path: string }[] = [];
  for (const stage of stages) {
    for (const entry of stage.def.deps) {
      for (const dep of entry.refs) {
        if (dep.kind !== "file") continue;
        if (changed?.has(dep.path) === false && !changed.has(`${dep.path}.pvt`)) continue;
        files.push({ stage: stage.name, path: dep.path });
      }
    }
  }
  const exists = existenceOf(files.map((file) => file.path));
  const missing: MissingInput[] = [];
  const seen = new Map<string, boolean>();
  for (const { stage, path: file } of files) {
    let present = seen.get(file);
    if (present === undefined) {
      present = exists(file) || existsSync(`${file}.pvt`);
      seen.set(file, present);
    }
    if (!present) missing.push({ stage, dep: relativePosix(root, file) });
  }
  return missing;
}

/** Directories with at least this many of the files asked about are listed, once. */
const LISTED_FROM = 8;

/**
 * {@linkcode existsSync} for many `files`: the listing of a directory that
 * holds several of them vouches for those it shows as plain files or
 * directories (one read for a thousand inputs side by side). Any other
 * file (not in the listing, a symlink, in a directory that cannot be
 * listed) is looked at with `stat`, so a dangling link or a name that a
 * case-insensitive file system matches otherwise gets `existsSync`'s answer.
 */
function existenceOf(files: readonly string[]): (file: string) => boolean {
  const perDir = new Map<string, number>();
  for (const file of files) {
    perDir.set(path.dirname(file), (perDir.get(path.dirname(file)) ?? 0) + 1);
  }
  const listed = new Map<string, Set<string>>();
  return (file) => {
    const dir = path.dirname(file);
    if ((perDir.get(dir) ?? 0) >= LISTED_FROM) {
      let plain = listed.get(dir);
      if (plain === undefined) {
        plain = new Set();
        try {
          for (const entry of Deno.readDirSync(dir)) {
            if (entry.isFile || entry.isDirectory) plain.add(entry.name);
          }
        } catch {
          // Not listable: each file is looked at on its own.
        }
        listed.set(dir, plain);
      }
      if (plain.has(path.basename(file))) return true;
    }
    return existsSync(file);
  };
}
