import type { Format } from "../formats/mod.ts";

/** What an output is for: plain data, a metric to compare, or a plot to render. */
export type OutputKind = "data" | "metric" | "plot";

/** Every output kind. */
export const OUTPUT_KINDS: readonly OutputKind[] = ["data", "metric", "plot"];

/** The formats each non-data kind allows. */
export const KIND_FORMATS: Readonly<Record<Exclude<OutputKind, "data">, readonly Format[]>> = {
  metric: ["json", "yaml", "csv"],
  plot: ["csv", "json", "jsonl", "tsv", "png", "svg"],
};

/** One declared output of a stage. */
export interface OutputSpec {
  /** Output key, or `null` for a stage's single unnamed output. */
  readonly key: string | null;
  /** Format the value is written in. */
  readonly format: Format;
  /** What the output is for. */
  readonly kind: OutputKind;
  /** Whether the content goes to the cache (metrics default to `false`). */
  readonly cache: boolean;
  /** File extension without the dot (`""` for directories). */
  readonly ext: string;
  /**
   * Absolute path declared with `path:` (for scripts that write fixed paths);
   * absent when the WorkspaceStore places the output.
   */
  readonly path?: string;
  /** Plot x field. */
  readonly x?: string;
  /** Plot y field. */
  readonly y?: string;
  /** Plot template name. */
  readonly template?: string;
}

/** A dependency on another stage's output. */
export interface IdentityDep {
  readonly kind: "identity";
  /** As written in the pipeline file. */
  readonly text: string;
  /** Home pipeline of the producing stage. */
  readonly pipeline: string;
  /** The producing stage's own (unprefixed) name. */
  readonly stage: string;
  /** Output key, or `null` for the single output / all outputs. */
  readonly key: string | null;
}

/** A dependency on a plain or tracked file (or directory). */
export interface FileDep {
  readonly kind: "file";
  /** As written in the pipeline file. */
  readonly text: string;
  /** Absolute, normalized path. */
  readonly path: string;
}

/** One dependency reference. */
export type DepRef = IdentityDep | FileDep;

/** A named dependency: one reference, or a list of them. */
export interface DepEntry {
  /** The name it is given in `deps:` (`raw`, `models`). */
  readonly name: string;
  /** True when declared as a list (the stage receives an array). */
  readonly list: boolean;
  /** The references, in declaration order. */
  readonly refs: readonly DepRef[];
}

/** What a stage does when it runs. */
export type StageAction =
  | {
    readonly kind: "cmd";
    /** The command after `${var}` and matrix substitution; `${deps.…}` etc. remain. */
    readonly command: string;
    /**
     * The command with each `${name}` that is the stage's parameter of that
     * dotted name left in (a DVC-style `--lr ${train.lr}`); absent when it
     * reads no parameter that way. `commandWithParams()` fills it.
     */
    readonly paramTemplate?: string;
  }
  | {
    readonly kind: "run";
    /** Absolute path of the module that holds the function. */
    readonly module: string;
    /** Property path from the module namespace to the function (`["train"]`, or `["default", "stages", "train", "run"]`). */
    readonly exportPath: readonly string[];
    /** Display form (`./stages.ts#train`). */
    readonly display: string;
  };

/** A fully expanded stage as declared by its pipeline file. */
export interface StageDef {
  /** Own name, with variant (`train@small`); unique inside its pipeline. */
  readonly name: string;
  /** Name before `@` (`train`). */
  readonly baseName: string;
  /** Variant (`small`), or `null`. */
  readonly variant: string | null;
  /** Home pipeline name. */
  readonly pipeline: string;
  /** Absolute path of the pipeline file. */
  readonly file: string;
  /** Directory of the pipeline file: relative paths and `cmd` start here. */
  readonly dir: string;
  /** Pipeline root: holds `.pivot/` state and `data/`. */
  readonly root: string;
  /** `<root>/.pivot`. */
  readonly stateDir: string;
  /** What the stage runs. */
  readonly action: StageAction;
  /** Dependencies in declaration order. */
  readonly deps: readonly DepEntry[];
  /** Outputs in declaration order. */
  readonly outs: readonly OutputSpec[];
  /** Effective parameters (pipeline file ← `params.yaml`). */
  readonly params: Readonly<Record<string, unknown>>;
  /** Mutex groups (lower-cased); `*` runs alone. */
  readonly mutex: readonly string[];
  /** Description, or `null`. */
  readonly desc: string | null;
  /** Matrix values of this variant, by dimension, or `null`. */
  readonly matrix: Readonly<Record<string, string>> | null;
}

/** A loaded pipeline file. */
export interface Pipeline {
  /** Pipeline name. */
  readonly name: string;
  /** Absolute path of the pipeline file. */
  readonly file: string;
  /** Every file the definition was read from: the pipeline file, then its `vars:` files. */
  readonly sources: readonly string[];
  /** Directory of the pipeline file. */
  readonly dir: string;
  /** Pipeline root. */
  readonly root: string;
  /** Stages in declaration (and matrix) order. */
  readonly stages: readonly StageDef[];
}

/** A stage under the name it has in a (possibly merged) DAG: `train` or `prep/clean`. */
export interface NamedStage {
  /** Name in the DAG: bare, or prefixed `<pipeline>/` when included or on a collision. */
  readonly name: string;
  /** The stage as its pipeline file declares it. */
  readonly def: StageDef;
}
