/**
 * The shared shapes of `import-dvc`'s conversion: report items, how a DVC
 * stage is repeated, its variants, and outputs on their way into `pivot.yaml`.
 *
 * @module
 */
import type { PlainObject } from "../pipeline/mod.ts";
import type { ValueFile } from "./_dvc_source.ts";
import type { ConvertedOutput } from "./_dvc_top_level.ts";

/** One thing the report tells the user. */
export interface ReportItem {
  /** `error`: not converted; `warning`: converted, but it behaves differently; `info`: worth knowing. */
  readonly level: "error" | "warning" | "info";
  /** The DVC stage concerned, or `null` for the file as a whole. */
  readonly stage: string | null;
  /** The DVC text concerned (`persist: true (model.pkl)`). */
  readonly dvc: string;
  /** What happened to it. */
  readonly message: string;
  /** What to do, or `null`. */
  readonly fix: string | null;
}

/** A value DVC can put into text. */
export type Scalar = string | number | boolean;

/** How a DVC stage is repeated. */
export type Iteration =
  | { readonly kind: "none" }
  | { readonly kind: "list"; readonly values: readonly Scalar[] }
  | { readonly kind: "map"; readonly entries: readonly (readonly [string, unknown])[] }
  | { readonly kind: "matrix"; readonly dims: readonly (readonly [string, readonly Scalar[]])[] };

/** One stage a DVC stage definition generates. */
export interface Variant {
  /** Name in DVC and in pivot (`train`, `train@us`, `train@cnn-small`). */
  readonly name: string;
  /** The pivot matrix values (dimension → text), empty without iteration. */
  readonly values: Readonly<Record<string, string>>;
  /** DVC's `${item}` (`undefined` without iteration). */
  readonly item: unknown;
  /** DVC's `${key}`, or `null` (a list or no iteration). */
  readonly key: string | null;
}

/** A stage that cannot be converted, and why. */
export class Unconvertible extends Error {
  /** The DVC text concerned. */
  readonly dvc: string;
  /** What to do. */
  readonly fix: string;
  /** Creates the error: `message` says why. */
  constructor(dvc: string, message: string, fix: string) {
    super(message);
    this.dvc = dvc;
    this.fix = fix;
  }
}

/** An output while its stage is being converted. */
export interface OutDraft extends ConvertedOutput {
  /** The `dvc.yaml` list it came from. */
  readonly section: "outs" | "metrics" | "plots";
  /** Absolute path per variant. */
  readonly concrete: readonly string[];
  /** The path as pivot text, or `null` when it must be given per variant. */
  readonly pivotPath: string | null;
}

/** Where an output of an earlier stage is, for turning dependencies into identities. */
export interface IndexedOutput {
  /** `train`, `train:model`. */
  readonly identity: string;
  /** True for a directory output. */
  readonly isDir: boolean;
}

/** The value types DVC puts into text. */
export const SCALAR_TYPES = ["string", "number", "boolean"];

/** What {@linkcode StageConversion} converts. */
export interface StageSource {
  /** The DVC stage name. */
  readonly name: string;
  /** The stage (or `do`) body. */
  readonly body: PlainObject;
  /** How it is repeated. */
  readonly iteration: Iteration;
  /** The stages it generates. */
  readonly variants: readonly Variant[];
  /** Vars and parameter files visible to it, in load order. */
  readonly files: readonly ValueFile[];
  /** Vars written inline in `dvc.yaml`, by dotted name. */
  readonly inline: ReadonlyMap<string, unknown>;
}

/** What a stage's conversion needs from the conversion of the whole file. */
export interface StageHost {
  /** Directory of `dvc.yaml`. */
  readonly dvcDir: string;
  /** Directory of the `pivot.yaml` being written. */
  readonly outDir: string;
  /** The pivot project root. */
  readonly projectRoot: string;
  /** Directories `dvc.lock` records. */
  readonly lockDirs: ReadonlySet<string>;
  /** Adds an item to the report. */
  add(
    level: ReportItem["level"],
    stage: string | null,
    dvc: string,
    message: string,
    fix: string | null,
  ): void;
  /** Remembers that `${name}` must come from the vars file `file`. */
  useVar(name: string, file: string, stage: string): void;
  /** Remembers a parameter file the stages read keys of. */
  useParamFile(file: string): void;
  /** A path as shown in the report (project-relative). */
  shown(abs: string): string;
  /** The output at `abs`, the directory output holding it, or the outputs it holds. */
  findOutput(
    abs: string,
  ):
    | { relation: "is" | "inside"; output: IndexedOutput }
    | { relation: "holds"; outputs: IndexedOutput[] }
    | null;
  /** Makes a converted stage's outputs known to the stages after it. */
  registerOutputs(outs: readonly OutDraft[], variants: readonly Variant[], single: boolean): void;
}
