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
 * - `foreach`/`do` and `matrix` become a pivot "matrix", with the same stage
 *   names (`train@us`).
 *
 * @module
 */
import * as path from "node:path";
import { isIdentity, isValidName, isValidVariant } from "../identity/mod.ts";
import type { Format } from "../formats/mod.ts";
import { isPlainObject, type OutputKind, type PlainObject } from "../pipeline/mod.ts";
import { shellQuote } from "../util/shell_quote.ts";
import { statOrNullSync } from "../util/fs.ts";
import { isInside, relativePosix } from "../util/paths.ts";
import {
  expressions,
  foldAcross,
  formatOfExtension,
  keyFromPath,
  kindAllows,
  replaceExpressions,
  uniqueKey,
} from "./_dvc_text.ts";
import { flatten, lockedDirectories, readValueFile, type ValueFile } from "./_dvc_source.ts";
import { applyTopLevelPlots, type ConvertedOutput } from "./_dvc_top_level.ts";

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

type Scalar = string | number | boolean;

/** How a DVC stage is repeated. */
type Iteration =
  | { readonly kind: "none" }
  | { readonly kind: "list"; readonly values: readonly Scalar[] }
  | { readonly kind: "map"; readonly entries: readonly (readonly [string, unknown])[] }
  | { readonly kind: "matrix"; readonly dims: readonly (readonly [string, readonly Scalar[]])[] };

/** One stage a DVC stage definition generates. */
interface Variant {
  /** Name in DVC and in pivot (`train`, `train@us`, `train@cnn-small`). */
  readonly name: string;
  /** The pivot matrix values (dimension → text), empty without iteration. */
  readonly values: Readonly<Record<string, string>>;
  /** DVC's `${item}` and `${key}`. */
  readonly item: unknown;
  readonly key: string | null;
}

/** A stage that cannot be converted, and why. */
class Unconvertible extends Error {
  readonly dvc: string;
  readonly fix: string;
  constructor(dvc: string, message: string, fix: string) {
    super(message);
    this.dvc = dvc;
    this.fix = fix;
  }
}

/** An output while its stage is being converted. */
interface OutDraft extends ConvertedOutput {
  readonly section: "outs" | "metrics" | "plots";
  /** Absolute path per variant. */
  readonly concrete: readonly string[];
  /** The path as pivot text, or `null` when it must be given per variant. */
  readonly pivotPath: string | null;
}

/** Where an output of an earlier stage is, for turning dependencies into identities. */
interface IndexedOutput {
  readonly identity: string;
  readonly isDir: boolean;
}

const SCALAR_TYPES = ["string", "number", "boolean"];
const STAGE_KEYS = new Set([
  "cmd",
  "wdir",
  "deps",
  "outs",
  "metrics",
  "plots",
  "params",
  "frozen",
  "always_changed",
  "vars",
  "desc",
  "meta",
  "matrix",
]);

/**
 * Converts a parsed `dvc.yaml`. Stages that cannot be converted are left out
 * and reported as errors; everything else that changes meaning is reported
 * as a warning or note.
 *
 * @throws {Unconvertible} never: problems become report items
 */
export function convertDvcPipeline(input: ConvertInput): Converted {
  return new Converter(input).run();
}

class Converter {
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
      this.#add("error", null, "dvc.yaml", "it is not a map of stages", "check the file");
      return this.#result({}, 0);
    }
    this.#loadGlobalVars(data);
    for (const key of Object.keys(data)) {
      if (!["stages", "vars", "plots", "metrics", "params", "artifacts"].includes(key)) {
        this.#add("warning", null, `${key}:`, "unknown top-level key, ignored", null);
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
        this.#add("error", name, error.dvc, `stage not converted: ${error.message}`, error.fix);
      }
    }
    applyTopLevelPlots(data, this.#dvcDir, this.#converted, (item) => this.report.push(item));
    for (const key of ["params", "artifacts"]) {
      if (data[key] !== undefined) {
        this.#add(
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
    const dirName = path.basename(this.#outDir);
    if (!isValidName(dirName)) {
      definition["pipeline"] = keyFromPath(dirName, false).replace(/^[^A-Za-z]+/, "") || "dvc";
    }
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

  #add(
    level: ReportItem["level"],
    stage: string | null,
    dvc: string,
    message: string,
    fix: string | null,
  ): void {
    this.report.push({ level, stage, dvc, message, fix });
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
      this.#add("warning", stage, `vars: ${JSON.stringify(raw)}`, "expected a list, ignored", null);
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
        this.#add(
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
        this.#add(
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

  /** Remembers that `name` must come from `file` once pivot loads its `vars:` files. */
  #useVar(name: string, file: string, stage: string): void {
    if (!this.#pivotVars.includes(file)) this.#pivotVars.push(file);
    if (!this.#needs.has(name)) this.#needs.set(name, { file, stage });
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
        this.#add(
          "error",
          stage,
          `\${${name}}`,
          `pivot would read ${name} from ${this.#shown(winner)}, not from ${this.#shown(file)}`,
          `rename ${name} in one of the files`,
        );
      }
    }
  }

  #shown(abs: string): string {
    return relativePosix(this.#input.projectRoot, abs);
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
    this.#add(
      "info",
      stage,
      `${where}: ${raw}`,
      `the values were read from ${this.#shown(source.file)} now; pivot's matrix lists them`,
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
    this.#add(level, stage, dvc, message, fix);
  }

  useVar(name: string, file: string, stage: string): void {
    this.#useVar(name, file, stage);
  }

  useParamFile(file: string): void {
    this.#paramFiles.add(file);
  }

  shown(abs: string): string {
    return this.#shown(abs);
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

/** What {@linkcode StageConversion} converts. */
interface StageSource {
  readonly name: string;
  readonly body: PlainObject;
  readonly iteration: Iteration;
  readonly variants: readonly Variant[];
  readonly files: readonly ValueFile[];
  readonly inline: ReadonlyMap<string, unknown>;
}

/** A value per variant, or one text for all of them. */
type PerVariant = { readonly text: string } | { readonly each: readonly string[] };

/** Converts one DVC stage definition (with its variants). */
class StageConversion {
  readonly #c: Converter;
  readonly #s: StageSource;
  readonly #wdir: string;
  /** Per-variant overrides ("deps", `outs`) when a field cannot be one template. */
  readonly #overrides: PlainObject[];

  constructor(converter: Converter, source: StageSource) {
    this.#c = converter;
    this.#s = source;
    const wdir = source.body["wdir"];
    if (wdir !== undefined && (typeof wdir !== "string" || expressions(wdir).length > 0)) {
      throw new Unconvertible(
        `wdir: ${String(wdir)}`,
        "pivot needs a fixed working directory",
        "write the directory without ${…}",
      );
    }
    this.#wdir = path.resolve(converter.dvcDir, typeof wdir === "string" ? wdir : ".");
    this.#overrides = source.variants.map(() => ({}));
  }

  convert(): { key: string; body: PlainObject } {
    const { name, body, iteration } = this.#s;
    for (const key of Object.keys(body)) {
      if (!STAGE_KEYS.has(key)) {
        this.#c.add("warning", name, `${key}:`, "unknown stage key, ignored", null);
      }
    }
    const stage: PlainObject = {};
    if (typeof body["desc"] === "string") stage["desc"] = this.#text(body["desc"], "desc");
    stage["cmd"] = this.#command();
    const outs = this.#outputs();
    const deps = this.#dependencies(outs);
    if (Object.keys(deps).length > 0) stage["deps"] = deps;
    const single = outs.length === 1;
    const outsValue = this.#outsValue(outs, single);
    if (outsValue !== undefined) stage["outs"] = outsValue;
    const params = this.#params(deps);
    if (Object.keys(params).length > 0) stage["params"] = params;
    if (Object.keys(deps).length > 0) stage["deps"] = deps;
    this.#flags();
    this.#c.registerOutputs(outs, this.#s.variants, single);
    let key = name;
    if (iteration.kind !== "none") {
      const { matrix, templateName } = this.#matrix();
      stage["matrix"] = matrix;
      if (templateName !== null) key = templateName;
    }
    return { key, body: stage };
  }

  // --- text ------------------------------------------------------------------------------------

  /**
   * Rewrites the `${…}` of `text` for pivot: matrix values become matrix
   * references, inline vars their values, file vars stay references (their
   * file joins pivot's `vars:`). A reference to a foreach item that pivot can
   * only give a command (`${params.item.x}`) makes the text per-variant
   * elsewhere (`null`).
   */
  #pivotText(text: string, field: string, inCommand: boolean): string | null {
    const { name, iteration } = this.#s;
    let perVariant = false;
    const out = replaceExpressions(text, (expr) => {
      if (iteration.kind === "list" && expr === "item") return "${item}";
      if (iteration.kind === "map" && expr === "key") return "${key}";
      if (iteration.kind === "map" && (expr === "item" || expr.startsWith("item."))) {
        if (inCommand) return `\${params.${expr}}`;
        perVariant = true;
        return "";
      }
      if (iteration.kind === "matrix") {
        if (expr === "key") return iteration.dims.map(([dim]) => `\${${dim}}`).join("-");
        const dim = /^item\.(.+)$/.exec(expr)?.[1];
        if (dim !== undefined && iteration.dims.some(([d]) => d === dim)) return `\${${dim}}`;
      }
      if (["item", "key"].includes(expr.split(".")[0]!) && iteration.kind !== "none") {
        throw this.#unresolved(expr, field);
      }
      if (this.#s.inline.has(expr)) return escapeText(this.#scalarText(expr, field));
      const file = [...this.#s.files].reverse().find((f) => f.values.has(expr));
      if (file === undefined) throw this.#unresolved(expr, field);
      const value = file.values.get(expr);
      if (!SCALAR_TYPES.includes(typeof value)) {
        throw new Unconvertible(
          `${field}: \${${expr}}`,
          `\${${expr}} is a ${
            Array.isArray(value) ? "list" : "map"
          }: pivot puts only single values into text`,
          "spell out the values in the command",
        );
      }
      const reserved = expr === "stage" || expr === "outs" ||
        /^(deps|outs|params)\./.test(expr);
      if (inCommand && reserved) {
        throw new Unconvertible(
          `${field}: \${${expr}}`,
          `pivot fills \${${expr}} itself when a command runs`,
          "rename the variable",
        );
      }
      this.#c.useVar(expr, file.file, name);
      return `\${${expr}}`;
    });
    return perVariant ? null : out;
  }

  /** `text` with every `${…}` filled in for variant `index` (DVC's own reading). */
  #concrete(text: string, field: string, index: number): string {
    const variant = this.#s.variants[index]!;
    return replaceExpressions(text, (expr) => {
      const parts = expr.split(".");
      if (parts[0] === "key" && variant.key !== null && parts.length === 1) return variant.key;
      if (parts[0] === "item" && this.#s.iteration.kind !== "none") {
        let value: unknown = variant.item;
        for (const part of parts.slice(1)) value = isPlainObject(value) ? value[part] : undefined;
        if (!SCALAR_TYPES.includes(typeof value)) throw this.#unresolved(expr, field);
        return String(value);
      }
      if (this.#s.inline.has(expr)) return this.#scalarText(expr, field);
      const file = [...this.#s.files].reverse().find((f) => f.values.has(expr));
      const value = file?.values.get(expr);
      if (!SCALAR_TYPES.includes(typeof value)) throw this.#unresolved(expr, field);
      return String(value);
    });
  }

  #scalarText(expr: string, field: string): string {
    const value = this.#s.inline.get(expr);
    if (!SCALAR_TYPES.includes(typeof value)) throw this.#unresolved(expr, field);
    return String(value);
  }

  #unresolved(expr: string, field: string): Unconvertible {
    return new Unconvertible(
      `${field}: \${${expr}}`,
      `\${${expr}} cannot be resolved`,
      "define it in vars or params.yaml, or write the value",
    );
  }

  /** A text field that must be one template for every variant. */
  #text(text: string, field: string): string {
    const converted = this.#pivotText(text, field, false);
    if (converted === null) {
      throw new Unconvertible(
        `${field}: ${text}`,
        "it uses ${item…} where pivot cannot vary it",
        "write it without ${item}",
      );
    }
    return converted;
  }

  // --- command ---------------------------------------------------------------------------------

  #command(): string {
    const raw = this.#s.body["cmd"];
    const parts = Array.isArray(raw) ? raw : [raw];
    if (!parts.every((part) => typeof part === "string" && part.trim() !== "")) {
      throw new Unconvertible("cmd", "expected a command", "fix dvc.yaml");
    }
    const joined = (parts as string[]).join(" && ");
    const command = this.#pivotText(joined, "cmd", true)!;
    const rel = relativePosix(this.#c.outDir, this.#wdir);
    if (rel === ".") return command;
    return `cd ${shellQuote(rel)} && ${command}`;
  }

  // --- outputs ---------------------------------------------------------------------------------

  #outputs(): OutDraft[] {
    const outs: OutDraft[] = [];
    const keys = new Set<string>();
    for (const section of ["outs", "metrics", "plots"] as const) {
      const list = this.#s.body[section];
      if (list === undefined || list === null) continue;
      if (!Array.isArray(list)) {
        throw new Unconvertible(`${section}`, "expected a list", "fix dvc.yaml");
      }
      for (const entry of list) outs.push(this.#output(section, entry, keys));
    }
    return outs;
  }

  #output(section: OutDraft["section"], entry: unknown, keys: Set<string>): OutDraft {
    const { name } = this.#s;
    let text: string;
    let flags: PlainObject = {};
    if (typeof entry === "string") text = entry;
    else if (isPlainObject(entry) && Object.keys(entry).length === 1) {
      text = Object.keys(entry)[0]!;
      const value = entry[text];
      if (isPlainObject(value)) flags = value;
    } else {
      throw new Unconvertible(
        `${section}: ${JSON.stringify(entry)}`,
        "expected a path or {path: flags}",
        "fix dvc.yaml",
      );
    }
    const trailing = text.endsWith("/");
    const concrete = this.#s.variants.map((_, index) =>
      path.resolve(this.#wdir, this.#concrete(text, section, index))
    );
    const template = this.#pivotText(text, section, false);
    const pivotPath = template === null ? null : this.#rebase(template, trailing);
    for (const abs of concrete) {
      if (!isInside(this.#c.projectRoot, abs)) {
        throw new Unconvertible(
          `${section}: ${text}`,
          "the output is outside the pivot project",
          "run import-dvc in a project that holds the whole DVC project",
        );
      }
    }
    const isDir = this.#isDirectory(concrete[0]!, text, trailing);
    const format: Format = isDir ? "dir" : formatOfExtension(concrete[0]!);
    const wanted: OutputKind = section === "metrics"
      ? "metric"
      : section === "plots"
      ? "plot"
      : "data";
    let kind: OutputKind = wanted;
    if (!kindAllows(wanted, format)) {
      kind = "data";
      this.#c.add(
        "warning",
        name,
        `${section}: ${text}`,
        `pivot ${wanted}s are ${
          wanted === "metric" ? "json, yaml or csv" : "csv, json, jsonl, tsv, png or svg files"
        }; it became a plain output (${format})`,
        null,
      );
    }
    const parent = path.basename(path.dirname(text.replace(/\/+$/, "")));
    const key = uniqueKey(
      keyFromPath(this.#nameText(text), true),
      keys,
      parent === "." ? "" : parent,
    );
    const pathText = pivotPath ??
      `${relativePosix(this.#c.outDir, concrete[0]!)}${trailing ? "/" : ""}`;
    const object: PlainObject = { format };
    if (kind !== "data") object["kind"] = kind;
    // DVC caches everything unless told otherwise; pivot leaves metrics uncached by default.
    const cache = flags["cache"] !== false;
    if (cache !== (kind !== "metric")) object["cache"] = cache;
    object["path"] = pathText;
    if (kind === "plot") {
      for (const field of ["x", "y", "template"]) {
        if (typeof flags[field] === "string") object[field] = flags[field];
      }
    }
    this.#outFlags(text, flags, kind, wanted);
    return { section, key, format, kind, concrete, pivotPath, dvcPath: text, stage: name, object };
  }

  /** Output `text` (relative to the working directory) relative to the pivot file. */
  #rebase(text: string, trailing: boolean): string {
    const rel = relativePosix(this.#c.outDir, path.resolve(this.#wdir, text));
    return trailing ? `${rel}/` : rel;
  }

  /** Whether an output is a directory: the disk, then `dvc.lock`, then the name. */
  #isDirectory(abs: string, text: string, trailing: boolean): boolean {
    const info = statOrNullSync(abs);
    if (info !== null) return info.isDirectory;
    if (this.#c.lockDirs.has(abs)) return true;
    if (trailing) return true;
    const last = text.split("/").pop() ?? "";
    if (!last.includes(".")) {
      this.#c.add(
        "info",
        this.#s.name,
        `outs: ${text}`,
        "taken for a directory (no extension, not on disk, not in dvc.lock)",
        "if it is a file, change its format in pivot.yaml",
      );
      return true;
    }
    return false;
  }

  /** Reports the output flags pivot does not keep. */
  #outFlags(text: string, flags: PlainObject, kind: OutputKind, wanted: OutputKind): void {
    const { name } = this.#s;
    for (const [flag, value] of Object.entries(flags)) {
      if (flag === "cache" || (kind === "plot" && ["x", "y", "template"].includes(flag))) continue;
      // DVC's defaults, which are pivot's behaviour too.
      if ((flag === "persist" && value === false) || (flag === "push" && value === true)) continue;
      if (flag === "persist") {
        this.#c.add(
          "warning",
          name,
          `persist: true (${text})`,
          "pivot removes declared outputs before a stage runs, so the command starts without the previous one",
          "keep what the command needs between runs outside its outputs",
        );
        continue;
      }
      this.#c.add(
        "info",
        name,
        `${flag}: ${JSON.stringify(value)} (${text})`,
        `pivot has no '${flag}' on ${wanted === "data" ? "outputs" : `${wanted}s`}; left out`,
        null,
      );
    }
  }

  /** The stage's `outs:` value; outputs whose path differs per variant also go to the overrides. */
  #outsValue(outs: readonly OutDraft[], single: boolean): unknown {
    if (outs.length === 0) return undefined;
    for (const out of outs) {
      if (out.pivotPath !== null) continue;
      this.#overrides.forEach((override, index) => {
        const trailing = out.dvcPath.endsWith("/") ? "/" : "";
        const value = {
          ...out.object,
          path: `${relativePosix(this.#c.outDir, out.concrete[index]!)}${trailing}`,
        };
        override["outs"] = single
          ? value
          : { ...(override["outs"] as PlainObject | undefined), [out.key]: value };
      });
    }
    if (single) return outs[0]!.object;
    return Object.fromEntries(outs.map((out) => [out.key, out.object]));
  }

  // --- dependencies ----------------------------------------------------------------------------

  #dependencies(ownOuts: readonly OutDraft[]): PlainObject {
    const { name, body, variants } = this.#s;
    const list = body["deps"];
    const deps: PlainObject = {};
    if (list === undefined || list === null) return deps;
    if (!Array.isArray(list)) {
      throw new Unconvertible("deps", "expected a list of paths", "fix dvc.yaml");
    }
    const names = new Set<string>();
    const own = new Set(ownOuts.flatMap((out) => out.concrete));
    for (const entry of list) {
      if (typeof entry !== "string") {
        throw new Unconvertible(
          `deps: ${JSON.stringify(entry)}`,
          "expected a path",
          "fix it",
        );
      }
      const depName = uniqueKey(keyFromPath(this.#nameText(entry), false), names);
      const texts: string[] = [];
      let allFiles = true;
      variants.forEach((_, index) => {
        const abs = path.resolve(this.#wdir, this.#concrete(entry, "deps", index));
        if (own.has(abs)) return;
        const found = this.#c.findOutput(abs);
        if (found === null) {
          texts.push(fileDepText(relativePosix(this.#c.outDir, abs)));
          return;
        }
        allFiles = false;
        if (found.relation === "holds") {
          throw new Unconvertible(
            `deps: ${entry}`,
            `the directory holds outputs of other stages (${
              found.outputs.map((o) => o.identity).join(", ")
            }), which pivot addresses by identity`,
            "depend on the outputs (or the files) the command reads instead of their directory",
          );
        }
        if (found.relation === "inside") {
          this.#c.add(
            "info",
            name,
            `deps: ${entry}`,
            `it lies inside the output ${found.output.identity}; the stage depends on all of it`,
            null,
          );
        }
        texts.push(found.output.identity);
      });
      if (texts.length === 0) continue;
      const value = allFiles ? this.#fileDep(entry) : this.#fold(texts);
      if (value === null) {
        throw new Unconvertible(
          `deps: ${entry}`,
          "the dependency differs per variant in a way a pivot matrix cannot express",
          "list the variants as separate stages",
        );
      }
      if ("text" in value) deps[depName] = value.text;
      else {
        this.#overrides.forEach((override, index) => {
          override["deps"] = {
            ...(override["deps"] as PlainObject ?? {}),
            [depName]: value.each[index],
          };
        });
        deps[depName] = value.each[0];
      }
    }
    return deps;
  }

  /** `text` with inline vars filled in, for naming what it points at. */
  #nameText(text: string): string {
    return replaceExpressions(text, (expr) => {
      const value = this.#s.inline.get(expr);
      return SCALAR_TYPES.includes(typeof value) ? String(value) : `\${${expr}}`;
    });
  }

  /** A file dependency: one template, or a value per variant. */
  #fileDep(entry: string): PerVariant {
    const template = this.#pivotText(entry, "deps", false);
    if (template !== null) return { text: fileDepText(this.#rebase(template, false)) };
    return {
      each: this.#s.variants.map((_, index) =>
        fileDepText(
          relativePosix(
            this.#c.outDir,
            path.resolve(this.#wdir, this.#concrete(entry, "deps", index)),
          ),
        )
      ),
    };
  }

  /** Per-variant texts as one template over the matrix values, or per variant when allowed. */
  #fold(texts: readonly string[]): PerVariant | null {
    const { iteration, variants } = this.#s;
    if (texts.every((text) => text === texts[0])) return { text: texts[0]! };
    const template = foldAcross(texts, variants.map((v) => v.values), (dim) => `\${${dim}}`);
    if (template !== null) return { text: template };
    return iteration.kind === "matrix" ? null : { each: texts };
  }

  // --- params ----------------------------------------------------------------------------------

  #params(deps: PlainObject): PlainObject {
    const { name, body, iteration } = this.#s;
    const params: PlainObject = {};
    const raw = body["params"];
    if (raw === undefined || raw === null) return params;
    if (!Array.isArray(raw)) {
      throw new Unconvertible("params", "expected a list", "fix dvc.yaml");
    }
    const wanted: { file: string; key: string | null; dvc: string }[] = [];
    const defaults = path.join(this.#wdir, "params.yaml");
    for (const entry of raw) {
      if (typeof entry === "string") {
        const match = /^(.+\.(?:ya?ml|json|toml|py)):(.*)$/.exec(entry);
        if (match !== null) {
          const [, file, key] = match;
          wanted.push({ file: path.resolve(this.#wdir, file!), key: key || null, dvc: entry });
        } else wanted.push({ file: defaults, key: entry, dvc: entry });
      } else if (isPlainObject(entry)) {
        for (const [file, keys] of Object.entries(entry)) {
          const abs = path.resolve(this.#wdir, file);
          if (Array.isArray(keys) && keys.length > 0) {
            for (const key of keys) {
              wanted.push({ file: abs, key: String(key), dvc: `${file}: ${key}` });
            }
          } else wanted.push({ file: abs, key: null, dvc: `${file}:` });
        }
      }
    }
    for (const { file, key, dvc } of wanted) {
      if (expressions(`${file}${key ?? ""}`).length > 0) {
        throw new Unconvertible(
          `params: ${dvc}`,
          "pivot needs fixed parameter names",
          "write them out",
        );
      }
      const values = readValueFile(file);
      const shown = this.#c.shown(file);
      if (key === null || values === "unsupported") {
        if (values === "unsupported" && key !== null) {
          this.#c.add(
            "warning",
            name,
            `params: ${dvc}`,
            `pivot reads parameters from YAML and JSON files; the stage depends on the whole of ${shown}, so any change to it re-runs the stage`,
            "move the parameters to a YAML file to depend on single keys",
          );
        }
        const depName = uniqueKey(keyFromPath(shown, false), new Set(Object.keys(deps)));
        const text = fileDepText(relativePosix(this.#c.outDir, file));
        if (!Object.values(deps).includes(text)) deps[depName] = text;
        continue;
      }
      if (values === "missing" || values === "invalid") {
        this.#c.add(
          "error",
          name,
          `params: ${dvc}`,
          `${shown} is ${values}; the parameter is left out`,
          `fix ${shown}`,
        );
        continue;
      }
      if (!values.values.has(key)) {
        this.#c.add(
          "error",
          name,
          `params: ${dvc}`,
          `${shown} has no '${key}'; the parameter is left out`,
          `add '${key}' to ${shown}, or remove it from the stage`,
        );
        continue;
      }
      if (iteration.kind === "map" && key.split(".")[0] === "item") {
        throw new Unconvertible(
          `params: ${dvc}`,
          "pivot gives this stage's foreach item as params.item",
          "rename the parameter",
        );
      }
      this.#c.useVar(key, file, name);
      this.#c.useParamFile(file);
      setParam(params, key.split("."), `\${${key}}`);
    }
    return params;
  }

  // --- flags and matrix ------------------------------------------------------------------------

  #flags(): void {
    const { name, body } = this.#s;
    if (body["frozen"] === true) {
      this.#c.add(
        "warning",
        name,
        "frozen: true",
        "pivot has no frozen stages: this one runs when its code, params or inputs change",
        "leave it out of 'pivot repro' targets, or run the stages you want by name with 'pivot run'",
      );
    }
    if (body["always_changed"] === true) {
      this.#c.add(
        "warning",
        name,
        "always_changed: true",
        "pivot runs a stage only when its code, params or inputs change",
        `run it on purpose with 'pivot repro --force ${name}'`,
      );
    }
    if (body["meta"] !== undefined) {
      this.#c.add("info", name, "meta:", "pivot keeps no stage metadata; left out", null);
    }
  }

  #matrix(): { matrix: PlainObject; templateName: string | null } {
    const { iteration, variants, name } = this.#s;
    const overrides = this.#overrides.map((o) => (Object.keys(o).length === 0 ? null : o));
    const mapForm = (dim: string, itemParams: boolean) =>
      Object.fromEntries(variants.map((variant, index) => {
        const override: PlainObject = { ...(overrides[index] ?? {}) };
        if (itemParams) override["params"] = { item: variant.item };
        return [variant.values[dim]!, Object.keys(override).length === 0 ? null : override];
      }));
    switch (iteration.kind) {
      case "list":
        return {
          matrix: {
            item: overrides.some((o) => o !== null)
              ? mapForm("item", false)
              : [...iteration.values],
          },
          templateName: null,
        };
      case "map": {
        const command = this.#s.body["cmd"];
        const usesItem = JSON.stringify(command).match(/\$\{\s*item[\s.}]/) !== null;
        return { matrix: { key: mapForm("key", usesItem) }, templateName: null };
      }
      case "matrix":
        if (overrides.some((o) => o !== null)) {
          throw new Unconvertible(
            "matrix",
            "its paths differ per combination in a way pivot cannot template",
            "list the combinations as separate stages",
          );
        }
        return {
          matrix: Object.fromEntries(iteration.dims.map(([dim, values]) => [dim, [...values]])),
          templateName: iteration.dims.length === 1
            ? null
            : `${name}@${iteration.dims.map(([dim]) => `{${dim}}`).join("-")}`,
        };
      case "none":
        return { matrix: {}, templateName: null };
    }
  }
}

/** A file dependency as pivot must read it: `./x` when `x` could be taken for an identity. */
function fileDepText(rel: string): string {
  return isIdentity(rel) ? `./${rel}` : rel;
}

/** `\${` for every `${` in a literal value, so pivot does not read it as a reference. */
function escapeText(text: string): string {
  return text.replaceAll("${", "\\${");
}

/** Sets a nested parameter; a whole map already declared wins over its keys. */
function setParam(params: PlainObject, parts: readonly string[], value: string): void {
  let node = params;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next === "string") return;
    if (!isPlainObject(next)) node[part] = {};
    node = node[part] as PlainObject;
  }
  node[parts[parts.length - 1]!] = value;
}
