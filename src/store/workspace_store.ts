import * as path from "node:path";
import { formatIdentity } from "../identity/mod.ts";
import { PivotError } from "../util/errors.ts";
import { joinNormal, relativePosix } from "../util/paths.ts";

/** The output fields the store needs. */
export interface StoreOutput {
  /** Output key, or `null` for a stage's single unnamed output. */
  readonly key: string | null;
  /** Format; `dir` outputs are directories. */
  readonly format: string;
  /** File extension without the dot. */
  readonly ext: string;
  /** Absolute path declared by the pipeline file (`path:`), if any. */
  readonly path?: string;
}

/** The stage fields the store needs. */
export interface StoreStage {
  /** The stage's own, unprefixed name (`train@small`). */
  readonly name: string;
  /** Home pipeline name. */
  readonly pipeline: string;
  /** Home pipeline root (absolute). */
  readonly root: string;
  /** Declared outputs. */
  readonly outs: readonly StoreOutput[];
}

/** One output with its place in the workspace. */
export interface StoredOutput {
  /** Output key, or `null`. */
  readonly key: string | null;
  /** Absolute path (directories without a trailing slash). */
  readonly path: string;
  /** True for a directory output. */
  readonly isDir: boolean;
}

/** Options for {@linkcode WorkspaceStore}. */
export interface WorkspaceStoreOptions {
  /** Data directory under each pipeline root (config `store.data_dir`). @default {"data"} */
  dataDir?: string;
}

/**
 * The one place that turns an artifact identity into a workspace path.
 *
 * | output | path under the home pipeline root |
 * |---|---|
 * | the single unnamed output | `data/<pipeline>/<stage>.<ext>` |
 * | a named output | `data/<pipeline>/<stage>/<key>.<ext>` |
 * | a directory output | `data/<pipeline>/<stage>/` or `data/<pipeline>/<stage>/<key>/` |
 *
 * An output whose pipeline file declares its place (`path:`, for scripts that
 * write fixed paths) is at that path; the pipeline loader resolved and checked it.
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkspaceStore } from "./workspace_store.ts";
 *
 * const store = new WorkspaceStore("/p");
 * const outs = [{ key: "model", format: "json", ext: "json" }];
 * const train = { name: "train", pipeline: "ml", root: "/p", outs };
 * assert.equal(store.outputPath(train, "model"), "/p/data/ml/train/model.json");
 * ```
 */
export class WorkspaceStore {
  /** Absolute project root; displayed paths are relative to it. */
  readonly projectRoot: string;
  /** The data directory name under each pipeline root. */
  readonly dataDir: string;
  /** The outputs of each stage asked about (see {@linkcode WorkspaceStore.outputs}). */
  readonly #outputs = new WeakMap<StoreStage, readonly StoredOutput[]>();

  /** Creates a store for the project at `projectRoot`. */
  constructor(projectRoot: string, options: WorkspaceStoreOptions = {}) {
    const { dataDir = "data" } = options;
    const normalized = path.posix.normalize(dataDir.replaceAll("\\", "/")).replace(/\/+$/, "");
    if (
      normalized === "" || normalized === "." || normalized.startsWith("/") ||
      normalized.split("/").includes("..")
    ) {
      throw new PivotError(
        `invalid store.data_dir '${dataDir}': it must be a relative path inside the pipeline root`,
        {
          hint: "set it with 'store: {data_dir: data}' in .pivot/config.yaml",
        },
      );
    }
    this.projectRoot = projectRoot;
    this.dataDir = normalized;
  }

  /**
   * The absolute path of output `key` of `stage`.
   *
   * @throws {PivotError} when the stage has no such output, or `key` is `null` and the stage has several
   */
  outputPath(stage: StoreStage, key: string | null): string {
    const out = this.#find(stage, key);
    if (out.path !== undefined) return out.path;
    const stageDir = joinNormal(stage.root, this.dataDir, stage.pipeline, stage.name);
    const isDir = out.format === "dir";
    if (out.key === null) return isDir ? stageDir : `${stageDir}.${out.ext}`;
    return isDir ? joinNormal(stageDir, out.key) : joinNormal(stageDir, `${out.key}.${out.ext}`);
  }

  /**
   * Every output of `stage` with its path, in declaration order (worked
   * out once per stage object: a command asks for a stage's outputs many
   * times, a fan-in's plan for those of a thousand producers).
   */
  outputs(stage: StoreStage): readonly StoredOutput[] {
    let outs = this.#outputs.get(stage);
    if (outs === undefined) {
      outs = Object.freeze(stage.outs.map((out) =>
        Object.freeze({
          key: out.key,
          path: this.outputPath(stage, out.key),
          isDir: out.format === "dir",
        })
      ));
      this.#outputs.set(stage, outs);
    }
    return outs;
  }

  /** A workspace path as shown to users: project-relative, `/` for directories. */
  displayPath(absolute: string, isDir = false): string {
    const rel = relativePosix(this.projectRoot, absolute);
    return isDir ? `${rel}/` : rel;
  }

  /** `train:model → data/ml/train/model.json`, for output `key` of the stage called `producer`. */
  describe(producer: string, stage: StoreStage, key: string | null): string {
    const out = this.#find(stage, key);
    const identity = formatIdentity({ producer, key: out.key });
    return `${identity} → ${
      this.displayPath(this.outputPath(stage, out.key), out.format === "dir")
    }`;
  }

  #find(stage: StoreStage, key: string | null): StoreOutput {
    if (key === null) {
      if (stage.outs.length === 1) return stage.outs[0]!;
      throw new PivotError(
        stage.outs.length === 0
          ? `stage '${stage.name}' has no outputs`
          : `stage '${stage.name}' has several outputs; name one of: ${
            stage.outs.map((o) => o.key).join(", ")
          }`,
      );
    }
    const out = stage.outs.find((o) => o.key === key);
    if (out === undefined) throw new PivotError(`stage '${stage.name}' has no output '${key}'`);
    return out;
  }
}
