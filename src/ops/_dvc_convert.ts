/**
 * The conversion at the heart of `pivot import-dvc`: a parsed `dvc.yaml` →
 * the content of a runnable `pivot.yaml`, plus a report of everything that
 * could not be carried over as it was.
 *
 * How DVC's pieces map:
 * - `cmd` stays (a list is joined with ` && `); the command runs in the
 *   stage's `wdir` through a `cd <wdir> && ` prefix, since pivot runs commands
 *   in the pipeline file's directory; paths are rewritten relative to it.
 * - `outs`, `metrics` and `plots` become outputs declared at their DVC paths
 *   (`path:`), with formats from the disk, `dvc.lock` or the extension.
 * - A dependency on another stage's output becomes that output's identity.
 * - `params` become stage parameters whose values are `${key}` references to
 *   the parameter file, read as a `vars:` file: the stage depends on exactly
 *   those values, while the scripts go on reading the file themselves.
 * - `foreach`/`do` and `matrix` become a pivot `matrix`, with the same stage
 *   names (`train@us`).
 *
 * @module
 */
import * as path from "node:path";
import { isValidName, isValidVariant } from "../identity/mod.ts";
import { isPlainObject, type PlainObject } from "../pipeline/mod.ts";
import { isInside, relativePosix } from "../util/paths.ts";
import { keyFromPath } from "./_dvc_text.ts";
import { flatten, lockedDirectories, readValueFile, type ValueFile } from "./_dvc_source.ts";
import { applyTopLevelPlots, type ConvertedOutput } from "./_dvc_top_level.ts";
import {
  type IndexedOutput,
  type Iteration,
  type OutDraft,
  type ReportItem,
  type Scalar,
  SCALAR_TYPES,
  type StageHost,
  Unconvertible,
  type Variant,
} from "./_dvc_model.ts";
import { StageConversion } from "./_dvc_stage.ts";

/** Where the DVC pipeline is and where the pivot pipeline goes. */
export interface ConvertInput {
  /** The parsed `dvc.yaml`. */
  readonly data: unknown;
  /** Absolute path of `dvc.yaml`. */
  readonly dvcFile: string;
  /** Absolute path of the `pivot.yaml` to write. */
  readonly outFile: string;
  /** The pivot project root. */
  readonly projectRoot: string;
}

/** The converted pipeline. */
export interface Converted {
  /** The content of `pivot.yaml`. */
  readonly definition: PlainObject;
  /** What could not be carried over as it was. */
  readonly report: ReportItem[];
  /** How many DVC stages (templates) were converted. */
  readonly stages: number;
  /** The parameter files the stages read keys of (absolute). */
  readonly paramFiles: readonly string[];
}

export type { ReportItem } from "./_dvc_model.ts";

/**
 * Converts a parsed `dvc.yaml`. Stages that cannot be converted are left out
 * and reported as errors; everything else that changes meaning is reported
 * as a warning or note; nothing is thrown for a problem of the input.
 */
export function convertDvcPipeline(input: ConvertInput): Converted {
  return new Converter(input).run();
}

class Converter implements StageHost {
  readonly #input: ConvertInput;
  readonly #dvcDir: string;
  readonly #outDir: string;
  readonly report: ReportItem[] = [];
  /** Variables of `dvc.yaml`'s `vars:` (and the default `params.yaml`), in load order. */
  readonly #globalFiles: ValueFile[] = [];
  readonly #globalInline = new Map<string, unknown>();
  /** Files that end up in pivot's `vars:`, in order, and the names each must provide. */
  readonly #pivotVars: string[] = [];
  readonly #needs = new Map<string, { file: string; stage: string }>();
  readonly #paramFiles = new Set<string>();
  readonly #outputs = new Map<string, IndexedOutput>();
  readonly #converted: ConvertedOutput[] = [];
  readonly #lockDirs: Set<string>;
  readonly #stagesData: PlainObject;

  constructor(input: ConvertInput) {
    this.#input = input;
    this.#dvcDir = path.dirname(input.dvcFile);
    this.#outDir = path.dirname(input.outFile);
    const data = isPlainObject(input.data) ? input.data : {};
    this.#stagesData = isPlainObject(data["stages"]) ? data["stages"] : {};
    this.#lockDirs = lockedDirectories(path.join(this.#dvcDir, "dvc.lock"), (stage) => {
      const raw = this.#stagesData[stage];
      const body = isPlainObject(raw) && isPlainObject(raw["do"]) ? raw["do"] : raw;
      const wdir = isPlainObject(body) && typeof body["wdir"] === "string" ? body["wdir"] : ".";
      return path.resolve(this.#dvcDir, wdir);
    });
  }

  run(): Converted {
    const data = this.#input.data;
    if (!isPlainObject(data)) {
      this.add("error", null, "dvc.yaml", "it is not a map of stages", "check the file");
      return this.#result({}, 0);
    }
    this.#loadGlobalVars(data);
    for (const key of Object.keys(data)) {
      if (!["stages", "vars", "plots", "metrics", "params", "artifacts"].includes(key)) {
        this.add("warning", null, key, "unknown top-level key, ignored", null);
      }
    }
    const stages: PlainObject = {};
    let count = 0;
    for (const [name, raw] of Object.entries(this.#stagesData)) {
      try {
        const converted = this.#convertStage(name, raw);
        stages[converted.key] = converted.body;
        count++;
      } catch (error) {
        if (!(error instanceof Unconvertible)) throw error;
        this.add("error", name, error.dvc, `stage not converted: ${error.message}`, error.fix);
      }
    }
    applyTopLevelPlots(data, this.#dvcDir, this.#converted, (item) => this.report.push(item));
    for (const key of ["params", "artifacts"]) {
      if (data[key] !== undefined) {
        this.add(
          "info",
          null,
          `${key}: ${JSON.stringify(data[key])}`,
          key === "params"
            ? "top-level params files are not carried over: pivot shows each stage's own parameters"
            : "artifacts are not carried over: pivot has no model registry",
          null,
        );
      }
    }
    this.#checkVarNames();
    return this.#result(stages, count);
  }

  #result(stages: PlainObject, count: number): Converted {
    const definition: PlainObject = {};
    // Always named: a pipeline named after its directory loses its runs in a clone under
    // another directory name (a CI checkout).
    const dirName = path.basename(this.#outDir);
    definition["pipeline"] = isValidName(dirName)
      ? dirName
      : keyFromPath(dirName, false).replace(/^[^A-Za-z]+/, "") || "dvc";
    const root = this.#root();
    if (root !== this.#outDir) {
      definition["root"] = root === this.#input.projectRoot
        ? "/"
        : relativePosix(this.#outDir, root);
    }
    if (this.#pivotVars.length > 0) {
      definition["vars"] = this.#pivotVars.map((file) => relativePosix(this.#outDir, file));
    }
    definition["stages"] = stages;
    return { definition, report: this.report, stages: count, paramFiles: [...this.#paramFiles] };
  }

  /** The pipeline root: the file's directory, or the nearest ancestor that holds every output. */
  #root(): string {
    let root = this.#outDir;
    for (const abs of this.#outputs.keys()) {
      while (!isInside(root, abs) || root === abs) {
        const parent = path.dirname(root);
        if (parent === root || !isInside(this.#input.projectRoot, parent)) return root;
        root = parent;
      }
    }
    return root;
  }

  // --- variables -------------------------------------------------------------------------------

  #loadGlobalVars(data: PlainObject): void {
    const defaults = path.join(this.#dvcDir, "params.yaml");
    const loaded = readValueFile(defaults);
    if (typeof loaded !== "string") this.#globalFiles.push(loaded);
    this.#loadVarsList(data["vars"], this.#globalFiles, this.#globalInline, null, this.#dvcDir);
  }

  /** Reads a `vars:` list (files, `file:keys`, inline maps) into `files` and `inline`. */
  #loadVarsList(
    raw: unknown,
    files: ValueFile[],
    inline: Map<string, unknown>,
    stage: string | null,
    dir: string,
  ): void {
    if (raw === undefined || raw === null) return;
    if (!Array.isArray(raw)) {
      this.add("warning", stage, `vars: ${JSON.stringify(raw)}`, "expected a list, ignored", null);
      return;
    }
    for (const entry of raw) {
      if (isPlainObject(entry)) {
        flatten(entry, inline);
        continue;
      }
      if (typeof entry !== "string") continue;
      const [file, keys] = entry.split(/:(?=[^/]*$)/) as [string, string | undefined];
      const abs = path.resolve(dir, file);
      if (files.some((f) => f.file === abs)) continue;
      const loaded = readValueFile(abs);
      if (typeof loaded === "string") {
        this.add(
          "warning",
          stage,
          `vars: ${entry}`,
          loaded === "unsupported"
            ? "pivot reads vars from YAML and JSON files only; the file is ignored"
            : `the file is ${loaded}; it is ignored`,
          "convert the values to a YAML file and list it in vars",
        );
        continue;
      }
      if (keys !== undefined) {
        this.add(
          "info",
          stage,
          `vars: ${entry}`,
          `pivot loads the whole of ${file}, not only ${keys}`,
          null,
        );
      }
      files.push(loaded);
    }
  }

  /** Reports names that a later pivot vars file would take from the wrong file. */
  #checkVarNames(): void {
    const loaded = new Map<string, ValueFile>();
    for (const file of this.#pivotVars) {
      const values = readValueFile(file);
      if (typeof values !== "string") loaded.set(file, values);
    }
    for (const [name, { file, stage }] of this.#needs) {
      const winner = this.#pivotVars.filter((f) => loaded.get(f)?.values.has(name)).pop();
      if (winner !== undefined && winner !== file) {
        this.add(
          "error",
          stage,
          `\${${name}}`,
          `pivot would read ${name} from ${this.shown(winner)}, not from ${this.shown(file)}`,
          `rename ${name} in one of the files`,
        );
      }
    }
  }

  // --- stages ----------------------------------------------------------------------------------

  #convertStage(name: string, raw: unknown): { key: string; body: PlainObject } {
    if (!isPlainObject(raw)) {
      throw new Unconvertible("(the stage)", "a stage must be a map", "fix dvc.yaml");
    }
    if (!isValidName(name)) {
      throw new Unconvertible(
        "(the stage)",
        "pivot stage names start with a letter and hold only letters, digits, '_' and '-'",
        "rename the stage in dvc.yaml and import again",
      );
    }
    const iteration = this.#iteration(name, raw);
    const body = iteration.kind === "none" || raw["matrix"] !== undefined ? raw : raw["do"];
    if (!isPlainObject(body)) {
      throw new Unconvertible("do", "'do' must be a stage", "fix dvc.yaml");
    }
    if (typeof body["cmd"] !== "string" && !Array.isArray(body["cmd"])) {
      throw new Unconvertible("(the stage)", "the stage has no cmd", "add the command to dvc.yaml");
    }
    const variants = this.#variants(name, iteration);
    const files = [...this.#globalFiles];
    const inline = new Map(this.#globalInline);
    if (body["vars"] !== undefined) {
      const local = new Map<string, unknown>();
      this.#loadVarsList(body["vars"], files, local, name, this.#dvcDir);
      for (const [key, value] of local) inline.set(key, value);
    }
    return new StageConversion(this, {
      name,
      body,
      iteration,
      variants,
      files,
      inline,
    }).convert();
  }

  #iteration(name: string, raw: PlainObject): Iteration {
    if (raw["foreach"] !== undefined) {
      const values = this.#iterable(name, "foreach", raw["foreach"]);
      if (Array.isArray(values)) {
        if (values.every((v) => SCALAR_TYPES.includes(typeof v))) {
          return { kind: "list", values: values as Scalar[] };
        }
        return { kind: "map", entries: values.map((v, i) => [String(i), v] as const) };
      }
      if (isPlainObject(values)) return { kind: "map", entries: Object.entries(values) };
      throw new Unconvertible("foreach", "expected a list or a map", "fix dvc.yaml");
    }
    if (raw["matrix"] !== undefined) {
      if (!isPlainObject(raw["matrix"])) {
        throw new Unconvertible("matrix", "expected a map", "fix dvc.yaml");
      }
      const dims: [string, Scalar[]][] = [];
      for (const [dim, value] of Object.entries(raw["matrix"])) {
        const values = this.#iterable(name, `matrix: ${dim}`, value);
        if (!Array.isArray(values) || !values.every((v) => SCALAR_TYPES.includes(typeof v))) {
          throw new Unconvertible(
            `matrix: ${dim}`,
            "pivot matrix values are strings, numbers or booleans",
            "list the combinations as separate stages, or use a foreach over a map",
          );
        }
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(dim)) {
          throw new Unconvertible(
            `matrix: ${dim}`,
            "pivot matrix dimension names hold only letters, digits and '_'",
            "rename the dimension",
          );
        }
        dims.push([dim, values as Scalar[]]);
      }
      return { kind: "matrix", dims };
    }
    return { kind: "none" };
  }

  /** A `foreach`/`matrix` value: as written, or the value of a `${name}` it names. */
  #iterable(stage: string, where: string, raw: unknown): unknown {
    if (typeof raw !== "string") return raw;
    const match = /^\$\{\s*([^}]+?)\s*\}$/.exec(raw);
    const name = match?.[1];
    if (name === undefined) {
      throw new Unconvertible(`${where}: ${raw}`, "expected a list or a map", "fix it");
    }
    if (this.#globalInline.has(name)) return this.#globalInline.get(name);
    const source = this.#globalFiles.find((file) => file.values.has(name));
    if (source === undefined) {
      throw new Unconvertible(
        `${where}: ${raw}`,
        `\${${name}} is not defined in the vars`,
        "fix dvc.yaml",
      );
    }
    this.add(
      "info",
      stage,
      `${where}: ${raw}`,
      `the values were read from ${this.shown(source.file)} now; pivot's matrix lists them`,
      `run 'pivot import-dvc --force' again when ${name} changes`,
    );
    return source.values.get(name);
  }

  #variants(name: string, iteration: Iteration): Variant[] {
    const check = (variant: string, dvc: string) => {
      if (!isValidVariant(variant)) {
        throw new Unconvertible(
          dvc,
          `the variant name '${variant}' holds characters pivot does not allow in a stage name`,
          "use values made of letters, digits, '_', '.' and '-'",
        );
      }
    };
    switch (iteration.kind) {
      case "none":
        return [{ name, values: {}, item: undefined, key: null }];
      case "list":
        return iteration.values.map((value) => {
          check(String(value), "foreach");
          return {
            name: `${name}@${value}`,
            values: { item: String(value) },
            item: value,
            key: null,
          };
        });
      case "map":
        return iteration.entries.map(([key, value]) => {
          check(key, "foreach");
          return { name: `${name}@${key}`, values: { key }, item: value, key };
        });
      case "matrix": {
        let combos: Record<string, Scalar>[] = [{}];
        for (const [dim, values] of iteration.dims) {
          combos = combos.flatMap((combo) => values.map((value) => ({ ...combo, [dim]: value })));
        }
        return combos.map((combo) => {
          const key = Object.values(combo).map(String).join("-");
          check(key, "matrix");
          const values = Object.fromEntries(Object.entries(combo).map(([d, v]) => [d, String(v)]));
          return { name: `${name}@${key}`, values, item: combo, key };
        });
      }
    }
  }

  // --- shared with StageConversion -------------------------------------------------------------

  get dvcDir(): string {
    return this.#dvcDir;
  }

  get outDir(): string {
    return this.#outDir;
  }

  get projectRoot(): string {
    return this.#input.projectRoot;
  }

  get lockDirs(): ReadonlySet<string> {
    return this.#lockDirs;
  }

  add(
    level: ReportItem["level"],
    stage: string | null,
    dvc: string,
    message: string,
    fix: string | null,
  ): void {
    this.report.push({ level, stage, dvc, message, fix });
  }

  useVar(name: string, file: string, stage: string): void {
    if (!this.#pivotVars.includes(file)) this.#pivotVars.push(file);
    if (!this.#needs.has(name)) this.#needs.set(name, { file, stage });
  }

  useParamFile(file: string): void {
    this.#paramFiles.add(file);
  }

  shown(abs: string): string {
    return relativePosix(this.#input.projectRoot, abs);
  }

  /** The output at `abs`, the directory output holding it, or the outputs it holds. */
  findOutput(
    abs: string,
  ):
    | { relation: "is" | "inside"; output: IndexedOutput }
    | { relation: "holds"; outputs: IndexedOutput[] }
    | null {
    const exact = this.#outputs.get(abs);
    if (exact !== undefined) return { relation: "is", output: exact };
    for (let dir = path.dirname(abs); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const out = this.#outputs.get(dir);
      if (out?.isDir) return { relation: "inside", output: out };
    }
    const held = [...this.#outputs].filter(([file]) => isInside(abs, file)).map(([, out]) => out);
    return held.length > 0 ? { relation: "holds", outputs: held } : null;
  }

  registerOutputs(outs: readonly OutDraft[], variants: readonly Variant[], single: boolean): void {
    for (const out of outs) {
      this.#converted.push(out);
      out.concrete.forEach((abs, index) => {
        const stage = variants[index]!.name;
        this.#outputs.set(abs, {
          identity: single ? stage : `${stage}:${out.key}`,
          isDir: out.format === "dir",
        });
      });
    }
  }
}
