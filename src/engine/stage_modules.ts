/**
 * The modules a pool worker's `run` jobs use, each imported once per worker
 * (on the first job that needs it) rather than once per job: each stage
 * module, and the csv and yaml libraries, which only jobs reading or writing
 * those formats load (they take tens of milliseconds to import).
 *
 * @module
 */
import type { Format } from "../formats/format_names.ts";
import { encodePlainValue, isPlainFormat, readPlainValueSync } from "../formats/plain_values.ts";
import type { RunJob } from "./stage_job.ts";

/** How a `run` job's inputs are read and its outputs encoded (as `src/formats/` does). */
export interface ValueCodecs {
  /** Reads an input as `src/formats/` does (what a stage function's `ctx.deps` does on first use). */
  readValueSync(file: string, format: Format): unknown;
  encodeValue(format: Format, value: unknown): Uint8Array;
}

/** The codecs of the formats that need no library. */
const PLAIN_CODECS: ValueCodecs = {
  readValueSync: (file, format) => {
    if (!isPlainFormat(format)) {
      throw new Error(`internal error: ${format} read without its library`);
    }
    return readPlainValueSync(file, format);
  },
  encodeValue: (format, value) => {
    if (!isPlainFormat(format)) throw new Error(`internal error: ${format} without its library`);
    return encodePlainValue(format, value);
  },
};

/** Options for {@linkcode StageModules}. */
export interface StageModulesOptions {
  /**
   * Imports the codecs of every format, libraries included.
   * @default {import("../formats/mod.ts")}
   */
  importFormats?: () => Promise<ValueCodecs>;
}

/** The modules of one worker's `run` jobs. */
export class StageModules {
  readonly #importFormats: () => Promise<ValueCodecs>;
  #formats: Promise<ValueCodecs> | null = null;
  readonly #stages = new Map<string, Promise<Record<string, unknown>>>();

  /** Creates an empty set: nothing is imported before a job needs it. */
  constructor(options: StageModulesOptions = {}) {
    const { importFormats = () => import("../formats/mod.ts") } = options;
    this.#importFormats = importFormats;
  }

  /**
   * The codecs of `job`'s formats: the libraries are imported on the first
   * job that reads or writes csv, tsv or yaml.
   */
  codecs(job: RunJob): ValueCodecs | Promise<ValueCodecs> {
    const formats = [
      ...job.deps.flatMap((dep) => dep.items.map((item) => item.format)),
      ...job.outs.map((out) => out.format),
    ];
    if (formats.every((format) => format === null || isPlainFormat(format))) return PLAIN_CODECS;
    return this.#formats ??= this.#importFormats();
  }

  /** The stage module at `url` (a failed import is tried again by the next job). */
  stage(url: string): Promise<Record<string, unknown>> {
    let module = this.#stages.get(url);
    if (module === undefined) {
      module = import(url) as Promise<Record<string, unknown>>;
      this.#stages.set(url, module);
      module.catch(() => this.#stages.delete(url));
    }
    return module;
  }
}
