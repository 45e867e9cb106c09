/**
 * The pipeline graph a run leaves beside its no-op stamp: what discovery
 * made of the pipeline files (every stage's definition), kept in `state.db`
 * under the stamp's key with the signatures of the files the project was
 * loaded from. A run after a change to a few data paths, whose stamp shows
 * every one of those files unchanged, takes the stages from here instead of
 * loading and building each again (as ninja keeps its build log and Bazel
 * its action graph).
 *
 * Why that is the graph a load would build: the definitions are a function
 * of the files the project was loaded from (config, params, pipeline files
 * and their `vars:` files, the places pipeline files are looked for and the
 * directories a project-wide search listed: the stamp's `sources`), which
 * have the signatures they had when the graph was kept; the pivot version,
 * command, working directory and config locations are in the stamp's key.
 * Only the checks the build makes against other paths are not covered: a
 * file input reached through a symlink leading out of the project, a file
 * input gone (named like a stage, it fails the build; else it is warned
 * about, also when its stage is not among the stamp's), an output declared
 * at a path tracked since (`.pvt`), a `run` module gone.
 * {@linkcode reusedStagesHold} makes them again (one listing of a directory
 * of a thousand inputs): when one fails, the pipeline files are loaded, and
 * their build reports it as it always does.
 *
 * @module
 */
import * as path from "node:path";
import type { Discovery } from "../discovery/discover.ts";
import type { Pipeline, StageDef } from "../pipeline/types.ts";
import { projectFileAt } from "../pipeline/output_path.ts";
import { hashBytes, PARSE_CACHE_MAX_AGE_MS, type StateDb } from "../storage/mod.ts";
import { existsSync } from "../util/fs.ts";
import { isInside } from "../util/paths.ts";
import { RealPathGuard } from "../util/real_path_guard.ts";

/** The stamp a kept graph is looked up by: its key and the files the project was loaded from. */
export interface GraphStamp {
  /** The stamp's key (see `noopStampKey`). */
  readonly key: string;
  /** The files the project was loaded from, as the stamp lists them. */
  readonly sources?: readonly string[];
  /** Signatures by path, as the stamp recorded them. */
  readonly followed: Readonly<Record<string, string>>;
  /** Racy entries of the stamp: a source among them is not evidence enough. */
  readonly racy: Readonly<Record<string, string>>;
  /** The paths of the stamp found changed. */
  readonly changed: readonly string[];
}

/**
 * The signatures of the files the project was loaded from, as one string
 * (what a kept graph is valid for): each of `stamp.sources` with
 * `signature(file)`. `null` when the stamp lists no sources, or one has no
 * signature, or the stamp holds one as a racy entry.
 */
export function graphSources(
  stamp: Pick<GraphStamp, "sources" | "racy">,
  signature: (file: string) => string | null | undefined,
): string | null {
  if (stamp.sources === undefined) return null;
  const pairs: [string, string][] = [];
  for (const file of stamp.sources) {
    const text = signature(file);
    if (text === null || text === undefined || stamp.racy[file] !== undefined) return null;
    pairs.push([file, text]);
  }
  return JSON.stringify(pairs);
}

/**
 * The discovery kept under `key` for the files the project was loaded from
 * with the signatures `sources` (see {@linkcode graphSources}), or `null`.
 */
export function readPipelineGraph(db: StateDb, key: string, sources: string): Discovery | null {
  const row = db.getParsed(rowKey(key));
  if (row === null) return null;
  const cut = row.indexOf("\n");
  if (cut < 0 || row.slice(0, cut) !== sources) return null;
  return decode(JSON.parse(row.slice(cut + 1)) as StoredGraph);
}

/**
 * Keeps `discovery` under `key` for the files the project was loaded from
 * with the signatures `sources`, in place of the graph kept there before.
 * Nothing is kept for a project with a `pipeline.ts` (its stages are the
 * module's to make), or with dependencies on pipelines not found, or on a
 * path written as another pipeline's stage (`data/raw`, found a file when
 * no pipeline `data` was: another look at the workspace), or whose
 * definitions are not plain JSON data.
 */
export function writePipelineGraph(
  db: StateDb,
  key: string,
  sources: string,
  discovery: Discovery,
): void {
  if (discovery.unresolved.length > 0) return;
  if (discovery.pipelines.some((pipeline) => pipeline.file.endsWith(".ts"))) return;
  const stored = encode(discovery);
  if (stored === null || !plainData(stored)) return;
  // A JSON text holds no raw line break: the first one ends the signatures.
  db.putParsed(
    [{ key: rowKey(key), json: `${sources}\n${JSON.stringify(stored)}` }],
    PARSE_CACHE_MAX_AGE_MS,
  );
}

/**
 * True when the stages of `discovery`, taken from a kept graph, pass the
 * checks the build of their pipelines makes against paths other than the
 * files they were loaded from: every file input exists and resolves inside
 * the project `root` (through symlinks too), no output declared with
 * `path:` is tracked or inside a tracked directory, every `run` module
 * exists. False sends the command to the pipeline files, whose build (and
 * its look for missing inputs) reports what failed.
 */
export function reusedStagesHold(root: string, discovery: Discovery): boolean {
  // Only the tracking files matter here: the rest of what projectFileAt checks is the pipeline
  // files' own (the build found none of it).
  const place = { projectRoot: root, reservedFiles: new Map<string, string>() };
  // File inputs by directory: a thousand inputs side by side are one directory resolved and
  // listed, and a look-up each.
  const byDir = new Map<string, string[]>();
  for (const { def } of discovery.stages) {
    if (def.action.kind === "run" && !existsSync(def.action.module)) return false;
    for (const out of def.outs) {
      if (out.path !== undefined && projectFileAt(out.path, out.format === "dir", place) !== null) {
        return false;
      }
    }
    for (const entry of def.deps) {
      for (const ref of entry.refs) {
        if (ref.kind !== "file") continue;
        const dir = path.dirname(ref.path);
        const files = byDir.get(dir);
        if (files === undefined) byDir.set(dir, [ref.path]);
        else files.push(ref.path);
      }
    }
  }
  const paths = new RealPathGuard(root);
  try {
    const { realRoot } = paths;
    for (const [dir, files] of byDir) {
      // A plain file or directory in a directory inside the project is inside it.
      const plain = files.length >= LISTED_FROM && isInside(realRoot, paths.realPath(dir))
        ? plainEntries(dir)
        : null;
      for (const file of files) {
        if (plain?.has(path.basename(file))) continue;
        if (!isInside(realRoot, paths.realPath(file)) || !existsSync(file)) return false;
      }
    }
  } catch {
    // A path that cannot be resolved (a loop of symlinks): the build says what it is.
    return false;
  }
  return true;
}

/** Directories with at least this many inputs are listed once rather than looked at per input. */
const LISTED_FROM = 8;

/** The names of the plain files and directories in `dir` (none when it cannot be listed). */
function plainEntries(dir: string): Set<string> {
  const names = new Set<string>();
  try {
    for (const entry of Deno.readDirSync(dir)) {
      if (entry.isFile || entry.isDirectory) names.add(entry.name);
    }
  } catch {
    // Not listable: each input is looked at on its own.
  }
  return names;
}

/** A discovery as kept: each definition once, without what it shares with its pipeline. */
interface StoredGraph {
  readonly name: string;
  readonly pipelines: readonly StoredPipeline[];
  /** Each stage's DAG name, and where its pipeline holds its definition. */
  readonly stages: readonly { readonly name: string; readonly at: readonly [number, number] }[];
  readonly unresolved: Discovery["unresolved"];
  readonly scanned: Discovery["scanned"];
}

/**
 * A pipeline as kept: with `shared`, its stages' definitions without the
 * fields every one of them shares with it (see {@linkcode sharedFields}).
 */
interface StoredPipeline extends Omit<Pipeline, "stages"> {
  readonly shared: boolean;
  readonly stages: readonly (StageDef | StoredDef)[];
}

/** A definition without the fields it shares with its pipeline. */
type StoredDef = Omit<StageDef, SharedField>;

type SharedField = "pipeline" | "file" | "dir" | "root" | "stateDir";

/** The fields a stage's definition shares with its pipeline, when built from its file. */
function sharedFields(pipeline: Pipeline): Pick<StageDef, SharedField> {
  const { name, file, dir, root } = pipeline;
  return { pipeline: name, file, dir, root, stateDir: path.join(root, ".pivot") };
}

/** `discovery` as kept; `null` when a stage's definition is not the one its pipeline holds. */
function encode(discovery: Discovery): StoredGraph | null {
  const at = new Map<StageDef, [number, number]>();
  const pipelines = discovery.pipelines.map((pipeline, p): StoredPipeline => {
    pipeline.stages.forEach((def, s) => at.set(def, [p, s]));
    const fields = sharedFields(pipeline);
    const keys = Object.keys(fields) as SharedField[];
    const shared = pipeline.stages.every((def) => keys.every((key) => def[key] === fields[key]));
    return {
      ...pipeline,
      shared,
      stages: shared
        ? pipeline.stages.map((
          { pipeline: _p, file: _f, dir: _d, root: _r, stateDir: _s, ...rest },
        ) => rest)
        : pipeline.stages,
    };
  });
  const stages: { name: string; at: [number, number] }[] = [];
  for (const { name, def } of discovery.stages) {
    const found = at.get(def);
    // Its dependencies were resolved against the workspace by discovery (see above).
    if (found === undefined) return null;
    stages.push({ name, at: found });
  }
  return {
    name: discovery.name,
    pipelines,
    stages,
    unresolved: discovery.unresolved,
    scanned: discovery.scanned,
  };
}

function decode(stored: StoredGraph): Discovery {
  const pipelines = stored.pipelines.map(({ shared, stages, ...pipeline }): Pipeline => {
    if (!shared) return { ...pipeline, stages: stages as StageDef[] };
    const fields = sharedFields({ ...pipeline, stages: [] });
    // The fields in the order the build gives them.
    return {
      ...pipeline,
      stages: (stages as StoredDef[]).map(({ name, baseName, variant, ...rest }) => ({
        name,
        baseName,
        variant,
        ...fields,
        ...rest,
      })),
    };
  });
  return {
    name: stored.name,
    pipelines,
    stages: stored.stages.map(({ name, at }) => ({ name, def: pipelines[at[0]]!.stages[at[1]]! })),
    unresolved: stored.unresolved,
    scanned: stored.scanned,
  };
}

/**
 * True when `value` is made of strings, finite numbers (but -0), booleans,
 * `null`, arrays and plain objects without `undefined` fields: what a JSON
 * round trip gives back as it was.
 */
function plainData(value: unknown): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0);
    case "object": {
      if (value === null) return true;
      if (Array.isArray(value)) return value.every(plainData);
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) {
        if (!plainData((value as Record<string, unknown>)[key])) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** The form of a kept graph this build reads and writes (see {@linkcode StoredGraph}). */
const GRAPH_FORMAT = 1;

/** Where the graph of stamp `key` is kept in the parse cache's table. */
function rowKey(key: string): string {
  return `pipeline-graph-${GRAPH_FORMAT}:${hashBytes(key)}`;
}
