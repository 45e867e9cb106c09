import type { Format } from "../formats/mod.ts";
import type { NamedStage, StageDef } from "../pipeline/types.ts";
import { type Project, stageOutputs } from "../project/open_project.ts";
import { lockFilePath } from "../storage/mod.ts";
import { PivotError } from "../util/errors.ts";
import { relativePosix } from "../util/paths.ts";

/** One input file or directory of a stage. */
export interface PlannedInput {
  /**
   * The producing output's identity as seen from the consumer's pipeline
   * (`clean`, `prep/clean:rows`), or `null` for a plain file.
   */
  readonly identity: string | null;
  /** How messages show it: the path, or `clean → data/ml/clean.csv`. */
  readonly display: string;
  /** Absolute path. */
  readonly path: string;
  /** Project-relative path. */
  readonly rel: string;
  /** How a `run` stage receives it (`null`: its path). */
  readonly format: Format | null;
}

/** One named dependency: an input or a list of inputs. */
export interface PlannedDep {
  readonly name: string;
  readonly list: boolean;
  readonly inputs: readonly PlannedInput[];
}

/** One declared output. */
export interface PlannedOut {
  readonly key: string | null;
  /** `train:model`. */
  readonly identity: string;
  /** How messages show it: `train:model → data/ml/train/model.json`. */
  readonly display: string;
  /** Absolute path. */
  readonly path: string;
  /** Project-relative path. */
  readonly rel: string;
  readonly isDir: boolean;
  readonly format: Format;
  readonly cache: boolean;
}

/** An upstream stage whose outputs a stage reads. */
export interface PlannedProducer {
  /** Its DAG name (for messages). */
  readonly name: string;
  /** Its `.running` sentinel (reader marks go beside it: see `reader_marks.ts`). */
  readonly sentinel: string;
}

/** Everything the engine needs to check, run and record one stage. */
export interface StagePlan {
  /** DAG name. */
  readonly name: string;
  readonly stage: NamedStage;
  readonly deps: readonly PlannedDep[];
  readonly outs: readonly PlannedOut[];
  /** The lock file. */
  readonly lockFile: string;
  /** The `.running` sentinel. */
  readonly sentinel: string;
  /** The upstream stages whose outputs it reads, each once. */
  readonly producers: readonly PlannedProducer[];
}

/** Works out the paths of a stage's inputs and outputs. */
export function planStage(project: Project, name: string): StagePlan {
  const stage = project.dag.stages.get(name);
  if (stage === undefined) throw new PivotError(`unknown stage '${name}'`);
  const { def } = stage;
  const rel = (abs: string) => relativePosix(project.root, abs);
  const producers = new Map<string, PlannedProducer>();
  const deps = def.deps.map((entry): PlannedDep => ({
    name: entry.name,
    list: entry.list,
    inputs: entry.refs.flatMap((ref): PlannedInput[] => {
      if (ref.kind === "file") {
        const shown = rel(ref.path);
        return [{ identity: null, display: shown, path: ref.path, rel: shown, format: null }];
      }
      const producerName = project.dag.producerOf.get(ref);
      const producer = producerName === undefined
        ? undefined
        : project.dag.stages.get(producerName);
      if (producerName === undefined || producer === undefined) {
        throw new PivotError(
          `stage '${name}': dependency '${entry.name}' names '${ref.text}', which no loaded pipeline produces`,
          {
            hint: "check the pipeline name (pipelines are named by 'pipeline:' or their directory)",
          },
        );
      }
      if (!producers.has(producerName)) {
        producers.set(producerName, { name: producerName, sentinel: sentinelPath(producer.def) });
      }
      return stageOutputs(project.store, producer)
        .filter((out) => ref.key === null || out.key === ref.key)
        .map((out) => {
          // Named as the consumer's pipeline file names it, whatever the DAG calls it,
          // so the lock is the same with and without --all.
          const identity = `${
            producer.def.pipeline === def.pipeline ? "" : `${producer.def.pipeline}/`
          }${producer.def.name}${out.key === null ? "" : `:${out.key}`}`;
          // Shown as the store shows it (project-relative, `/` for a directory).
          const shown = rel(out.path);
          return {
            identity,
            display: `${identity} → ${shown}${out.isDir ? "/" : ""}`,
            path: out.path,
            rel: shown,
            format: producer.def.outs.find((spec) => spec.key === out.key)!.format,
          };
        });
    }),
  }));
  const lockFile = lockFilePath(def);
  const outs = stageOutputs(project.store, stage).map((out): PlannedOut => {
    const spec = def.outs.find((o) => o.key === out.key)!;
    const shown = rel(out.path);
    return {
      key: out.key,
      identity: out.identity,
      display: `${out.identity} → ${shown}${out.isDir ? "/" : ""}`,
      path: out.path,
      rel: shown,
      isDir: out.isDir,
      format: spec.format,
      cache: spec.cache,
    };
  });
  return {
    name,
    stage,
    deps,
    outs,
    lockFile,
    sentinel: sentinelOf(lockFile),
    producers: [...producers.values()],
  };
}

/** The `.running` sentinel of the stage `def`, beside its lock file. */
function sentinelPath(def: StageDef): string {
  return sentinelOf(lockFilePath(def));
}

/** The `.running` sentinel beside `lockFile` (`<name>.lock` → `<name>.running`). */
function sentinelOf(lockFile: string): string {
  return `${lockFile.slice(0, -".lock".length)}.running`;
}
