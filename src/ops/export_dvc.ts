import * as path from "node:path";
import { Document, parse } from "../util/yaml_lib.ts";
import { planStage, type StagePlan } from "../engine/stage_plan.ts";
import {
  interpolateCommand,
  isPlainObject,
  lookupParam,
  type NamedStage,
  type Pipeline,
  type PlainObject,
} from "../pipeline/mod.ts";
import { type Project, resolveTarget } from "../project/mod.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import { PivotError, UsageError } from "../util/errors.ts";
import { existsSync, readTextOrNullSync } from "../util/fs.ts";
import { relativePosix } from "../util/paths.ts";
import type { ReportItem } from "./_dvc_convert.ts";
import { readValueFile } from "./_dvc_source.ts";
import { foldAcross } from "./_dvc_text.ts";

/** Options for {@linkcode exportDvc}. */
export interface ExportDvcOptions {
  /** Stages to export (a matrix stage's base name selects its variants). @default {every stage} */
  stages?: readonly string[];
  /** The `dvc.yaml` to write, relative to the project's cwd. @default {"dvc.yaml"} */
  output?: string;
  /** Replace an existing `dvc.yaml`. @default {false} */
  force?: boolean;
}

/** What {@linkcode exportDvc} wrote. */
export interface ExportDvcResult {
  /** Project-relative path of the `dvc.yaml`. */
  readonly output: string;
  /** Its content. */
  readonly yaml: string;
  /** DVC stages (definitions) written. */
  readonly stages: number;
  /** Project-relative `params.dvc.yaml` that holds the stages' own parameters, or `null`. */
  readonly paramsFile: string | null;
  /** What DVC will do differently. */
  readonly report: readonly ReportItem[];
}

/** One DVC stage body, before folding variants together. */
interface DvcStage {
  readonly cmd: string;
  readonly wdir: string;
  readonly deps: readonly string[];
  readonly outs: readonly { section: string; path: string; flags: PlainObject }[];
  /** References to keys of vars files. */
  readonly params: readonly (string | PlainObject)[];
  readonly desc: string | null;
  /** The stage's own parameters, which go to {@linkcode OWN_PARAMS_FILE} under its DVC name. */
  readonly literal: PlainObject;
  /** {@linkcode OWN_PARAMS_FILE} relative to the stage's `wdir`. */
  readonly ownParamsFile: string;
}

/**
 * The file beside `dvc.yaml` that holds each exported stage's own
 * parameters (after `params.yaml`), for DVC only: pivot reads `params.yaml`
 * as its per-stage overrides, where keys of DVC stage names (`train-small`)
 * would name no stage.
 */
const OWN_PARAMS_FILE = "params.dvc.yaml";

/**
 * The one top-level key of {@linkcode OWN_PARAMS_FILE}: DVC refuses a vars
 * file that redefines a key of `params.yaml` (which a pivot project keys by
 * stage name), and no stage name starts with `_`.
 */
const OWN_PARAMS_KEY = "_pivot";

/** Stands for the stage's key in {@linkcode OWN_PARAMS_FILE} until the DVC stage is named. */
const OWN_PARAMS_REF = "\u0000own\u0000";

const OWN_PARAMS_HEADER =
  "Written by 'pivot export': the parameters of each stage of dvc.yaml, as pivot runs it\n" +
  "(the pipeline's params after params.yaml). Re-export after changing them.";

const HEADER = "Exported from pivot by 'pivot export'. Stages with a TypeScript function run it\n" +
  "with 'pivot run <stage>' (which records pivot's own lock too). Re-export after changing the\n" +
  "pivot pipeline.";

/**
 * Writes a `dvc.yaml` that runs the same pipeline with DVC: commands with
 * their inputs and outputs at their paths, TypeScript stages as
 * `pivot run <stage>`, matrix stages as `foreach` or `matrix`, parameters
 * read from `vars:` files as DVC parameter keys and the stages' own
 * (effective) parameters as `_pivot.<DVC stage>.<key>` entries of the
 * `params.dvc.yaml` beside it (which it replaces).
 *
 * @throws {PivotError} when the file exists (without `force`), a
 *   {@linkcode UsageError} for an unknown target; nothing is written then
 */
export async function exportDvc(
  project: Project,
  options: ExportDvcOptions = {},
): Promise<ExportDvcResult> {
  const { stages: wanted = [], force = false } = options;
  const outFile = path.resolve(project.cwd, options.output ?? "dvc.yaml");
  const shown = (abs: string) => relativePosix(project.root, abs);
  if (existsSync(outFile) && !force) {
    throw new PivotError(`${shown(outFile)} exists`, { hint: "pass --force to replace it" });
  }
  const selected = await selectStages(project, wanted);
  if (selected.length === 0) {
    throw new PivotError(`pipeline '${project.discovery.name}' has no stages to export`);
  }
  const ownParamsFile = path.join(path.dirname(outFile), OWN_PARAMS_FILE);
  const exporter = new Exporter(project, path.dirname(outFile), ownParamsFile);
  const stages: PlainObject = {};
  const params: PlainObject = {};
  let count = 0;
  for (const group of groupByDefinition(project, selected)) {
    for (const [name, body, literal] of exporter.exportGroup(group)) {
      stages[name] = body;
      if (Object.keys(literal).length > 0) params[name] = literal;
      count++;
    }
  }
  const definition: PlainObject = {};
  const vars = exporter.varsFiles();
  if (Object.keys(params).length > 0) vars.push(OWN_PARAMS_FILE);
  if (vars.length > 0) definition["vars"] = vars;
  definition["stages"] = stages;
  const doc = new Document(definition);
  doc.commentBefore = HEADER.split("\n").map((line) => ` ${line}`).join("\n");
  const yaml = doc.toString({ lineWidth: 0 });
  atomicWrite(outFile, yaml);
  const wroteParams = Object.keys(params).length > 0;
  if (wroteParams) {
    const paramsDoc = new Document({ [OWN_PARAMS_KEY]: params });
    paramsDoc.commentBefore = OWN_PARAMS_HEADER.split("\n").map((line) => ` ${line}`).join("\n");
    atomicWrite(ownParamsFile, paramsDoc.toString({ lineWidth: 0 }));
  }
  return {
    output: shown(outFile),
    yaml,
    stages: count,
    paramsFile: wroteParams ? shown(ownParamsFile) : null,
    report: exporter.report,
  };
}

/** The DAG names of the stages to export, in DAG order. */
async function selectStages(project: Project, wanted: readonly string[]): Promise<string[]> {
  if (wanted.length === 0) return [...project.dag.order];
  const chosen = new Set<string>();
  for (const text of wanted) {
    // A matrix stage's base name selects every variant.
    const target = await resolveTarget(project, text);
    if (target.kind !== "stage") {
      throw new UsageError(`cannot export '${text}': it is a tracked file, not a stage`);
    }
    target.stages.forEach((name) => chosen.add(name));
  }
  return project.dag.order.filter((name) => chosen.has(name));
}

/** Stages grouped by the definition they come from (a matrix stage's variants together). */
function groupByDefinition(project: Project, names: readonly string[]): NamedStage[][] {
  const groups = new Map<string, NamedStage[]>();
  for (const name of names) {
    const stage = project.dag.stages.get(name)!;
    const key = `${stage.def.file}\0${stage.def.baseName}`;
    groups.set(key, [...(groups.get(key) ?? []), stage]);
  }
  return [...groups.values()];
}

class Exporter {
  readonly #project: Project;
  readonly #dir: string;
  readonly #ownParamsFile: string;
  readonly report: ReportItem[] = [];
  readonly #vars: string[] = [];
  readonly #raw = new Map<string, PlainObject | null>();

  constructor(project: Project, dir: string, ownParamsFile: string) {
    this.#project = project;
    this.#dir = dir;
    this.#ownParamsFile = ownParamsFile;
  }

  /** Pivot's `vars:` files, relative to `dvc.yaml` (DVC reads its own `params.yaml` anyway). */
  varsFiles(): string[] {
    const defaults = path.join(this.#dir, "params.yaml");
    return this.#vars.filter((file) => file !== defaults).map((file) =>
      relativePosix(this.#dir, file)
    );
  }

  #note(level: ReportItem["level"], stage: string, dvc: string, message: string): void {
    this.report.push({ level, stage, dvc, message, fix: null });
  }

  /** The DVC stages of one group: `[name, body, its own parameters]`. */
  exportGroup(group: readonly NamedStage[]): [string, PlainObject, PlainObject][] {
    const first = group[0]!;
    const pipeline = this.#pipelineOf(first);
    for (const file of pipeline.sources.slice(1)) {
      if (!this.#vars.includes(file)) this.#vars.push(file);
    }
    const raw = this.#rawStage(first);
    const bodies = group.map((stage) => this.#stage(stage, raw));
    const base = first.def.baseName;
    if (first.def.matrix === null) return [[base, render(bodies[0]!, base), bodies[0]!.literal]];
    const folded = this.#fold(group, bodies, raw);
    if (folded !== null) return [[base, folded, bodies[0]!.literal]];
    this.#note(
      "info",
      base,
      `matrix (${group.length} variants)`,
      `the variants differ in ways a DVC foreach cannot express; each is its own stage (${base}-<variant>)`,
    );
    return group.map((stage, index) => {
      const name = `${base}-${stage.def.variant}`;
      return [name, render(bodies[index]!, name), bodies[index]!.literal];
    });
  }

  #pipelineOf(stage: NamedStage): Pipeline {
    return this.#project.discovery.pipelines.find((p) => p.file === stage.def.file)!;
  }

  /** The stage as its YAML pipeline file writes it, or `null` (a `pipeline.ts`). */
  #rawStage(stage: NamedStage): PlainObject | null {
    const { file, baseName } = stage.def;
    if (!this.#raw.has(file)) {
      const data = file.endsWith(".ts") ? null : parse(readTextOrNullSync(file) ?? "");
      this.#raw.set(
        file,
        isPlainObject(data) && isPlainObject(data["stages"]) ? data["stages"] : null,
      );
    }
    const stages = this.#raw.get(file);
    if (stages === null || stages === undefined) return null;
    const key = Object.keys(stages).find((k) => k === baseName || k.startsWith(`${baseName}@`));
    const raw = key === undefined ? null : stages[key];
    return isPlainObject(raw) ? raw : null;
  }

  /** One variant (or a plain stage) as a DVC stage body. */
  #stage(stage: NamedStage, raw: PlainObject | null): DvcStage {
    const { def } = stage;
    const plan = planStage(this.#project, stage.name);
    const wdir = def.dir;
    const rel = (abs: string) => relativePosix(wdir, abs);
    const deps = [
      ...new Set(plan.deps.flatMap((dep) => dep.inputs.map((input) => rel(input.path)))),
    ];
    for (const input of plan.deps.flatMap((dep) => dep.inputs)) {
      if (input.identity === null && existsSync(`${input.path}.pvt`)) {
        this.#note(
          "info",
          def.name,
          `deps: ${rel(input.path)}`,
          `pivot tracks it (${input.rel}.pvt); DVC needs it tracked too: dvc add ${input.rel}`,
        );
      }
    }
    const { varRefs, literal } = this.#splitParams(stage, raw);
    let cmd: string;
    if (def.action.kind === "run") {
      cmd = `pivot run ${def.name}`;
      if (!deps.includes(rel(def.action.module))) deps.push(rel(def.action.module));
      this.#note(
        "info",
        def.name,
        `run: ${def.action.display}`,
        "DVC runs it as 'pivot run', re-running when the module changes (not when other modules it imports do)",
      );
    } else {
      const rawCmd = typeof raw?.["cmd"] === "string" ? raw["cmd"] : def.action.command;
      cmd = this.#command(rawCmd, stage, plan, varRefs, literal);
    }
    const outs = plan.outs.map((out) => {
      const spec = def.outs.find((o) => o.key === out.key)!;
      const flags: PlainObject = {};
      if (!out.cache) flags["cache"] = false;
      for (const field of ["x", "y", "template"] as const) {
        if (spec[field] !== undefined) flags[field] = spec[field];
      }
      const section = spec.kind === "metric" ? "metrics" : spec.kind === "plot" ? "plots" : "outs";
      return { section, path: rel(out.path), flags };
    });
    const params: (string | PlainObject)[] = [];
    const byFile = new Map<string, string[]>();
    for (const [name, file] of varRefs) byFile.set(file, [...(byFile.get(file) ?? []), name]);
    for (const [file, names] of byFile) {
      if (file === path.join(wdir, "params.yaml")) params.push(...names);
      else params.push({ [relativePosix(wdir, file)]: names });
    }
    return {
      cmd,
      wdir: relativePosix(this.#dir, wdir),
      deps,
      outs,
      params,
      desc: def.desc,
      literal,
      ownParamsFile: relativePosix(wdir, this.#ownParamsFile),
    };
  }

  /**
   * The stage's params split into references to vars files (a value written
   * exactly `${name}`: DVC tracks that key of that file) and its own values.
   */
  #splitParams(
    stage: NamedStage,
    raw: PlainObject | null,
  ): { varRefs: Map<string, string>; literal: PlainObject } {
    const varRefs = new Map<string, string>();
    const pipeline = this.#pipelineOf(stage);
    const files = pipeline.sources.slice(1).map((file) => readValueFile(file));
    const literal = structuredClone(stage.def.params) as PlainObject;
    const walk = (value: unknown, at: string[]) => {
      if (typeof value === "string") {
        const only = /^\$\{\s*([^}]+?)\s*\}$/.exec(value)?.[1];
        const file = only === undefined
          ? undefined
          : files.filter((f) => typeof f !== "string" && f.values.has(only)).pop();
        if (only !== undefined && file !== undefined && typeof file !== "string") {
          varRefs.set(only, file.file);
          removeAt(literal, at);
        }
      } else if (isPlainObject(value)) {
        for (const [key, item] of Object.entries(value)) walk(item, [...at, key]);
      }
    };
    walk(raw?.["params"], []);
    if (stage.def.matrix !== null && this.#isDictForeach(raw)) delete literal["item"];
    return { varRefs, literal };
  }

  /** The command for DVC: pivot's run-time references filled in, vars left for DVC. */
  #command(
    raw: string,
    stage: NamedStage,
    plan: StagePlan,
    varRefs: ReadonlyMap<string, string>,
    literal: PlainObject,
  ): string {
    const { def } = stage;
    const rel = (abs: string) => relativePosix(def.dir, abs);
    // Parameters become DVC references first, so that DVC substitutes their current values.
    const withParams = raw.replace(/(\\?)\$\{\s*params\.([^}]+?)\s*\}/g, (match, escape, key) => {
      if (escape !== "") return match;
      const rawParam = lookupParam(this.#rawParams(stage), key);
      const only = typeof rawParam === "string"
        ? /^\$\{\s*([^}]+?)\s*\}$/.exec(rawParam)?.[1]
        : undefined;
      if (only !== undefined && varRefs.has(only)) return `\${${only}}`;
      if (key.startsWith("item") && this.#isDictForeach(this.#rawStage(stage))) return `\${${key}}`;
      if (lookupParam(literal, key) !== undefined) return `\${${OWN_PARAMS_REF}.${key}}`;
      return match;
    });
    const result = interpolateCommand(withParams, (name) => {
      if (name === "stage") return def.name;
      if (name === "outs") return rel(plan.outs[0]!.path);
      if (name.startsWith("outs.")) {
        const out = plan.outs.find((o) => o.key === name.slice(5));
        return out === undefined ? undefined : rel(out.path);
      }
      if (name.startsWith("deps.")) {
        const dep = plan.deps.find((d) => d.name === name.slice(5));
        if (dep === undefined) return undefined;
        const paths = dep.inputs.map((input) => rel(input.path));
        return dep.list ? paths : paths[0];
      }
      if (name.startsWith("params.")) {
        const value = lookupParam(def.params, name.slice(7));
        return value === undefined
          ? undefined
          : typeof value === "string"
          ? value
          : JSON.stringify(value);
      }
      return def.matrix?.[name];
    }, { keep: (name) => def.matrix?.[name] === undefined && !isRunTime(name) });
    if (result.unresolved.length > 0) {
      this.#note(
        "warning",
        def.name,
        `cmd: ${raw}`,
        `left as written: ${result.unresolved.map((n) => `\${${n}}`).join(", ")}`,
      );
    }
    return result.text;
  }

  #rawParams(stage: NamedStage): PlainObject {
    const raw = this.#rawStage(stage)?.["params"];
    return isPlainObject(raw) ? raw : {};
  }

  /** A matrix of one map-form dimension `key` whose values only set `params.item` (a DVC foreach over a map). */
  #isDictForeach(raw: PlainObject | null): boolean {
    const matrix = raw?.["matrix"];
    if (!isPlainObject(matrix) || Object.keys(matrix).length !== 1) return false;
    const values = matrix["key"];
    if (!isPlainObject(values)) return false;
    return Object.values(values).every((override) =>
      isPlainObject(override) && Object.keys(override).every((k) => k === "params") &&
      isPlainObject(override["params"]) && Object.keys(override["params"]).every((k) =>
        k === "item"
      )
    );
  }

  /** The variants as one DVC `foreach` or `matrix` stage, or `null` when they differ otherwise. */
  #fold(
    group: readonly NamedStage[],
    bodies: readonly DvcStage[],
    raw: PlainObject | null,
  ): PlainObject | null {
    const dims = Object.keys(group[0]!.def.matrix!);
    const values = group.map((stage) => stage.def.matrix!);
    const dictForeach = this.#isDictForeach(raw);
    const single = dims.length === 1;
    const placeholder = (dim: string) =>
      single ? (dictForeach ? "${key}" : "${item}") : `\${item.${dim}}`;
    const fold = (texts: readonly string[]) => foldAcross(texts, values, placeholder);
    const first = bodies[0]!;
    const same = <T>(pick: (b: DvcStage) => T) =>
      bodies.every((b) => JSON.stringify(pick(b)) === JSON.stringify(pick(first)));
    if (
      !same((
        b,
      ) => [b.deps.length, b.outs.map((o) => [o.section, o.flags]), b.wdir, b.params, b.literal])
    ) {
      return null;
    }
    const cmd = fold(bodies.map((b) => b.cmd));
    const deps = first.deps.map((_, i) => fold(bodies.map((b) => b.deps[i]!)));
    const outs = first.outs.map((_, i) => fold(bodies.map((b) => b.outs[i]!.path)));
    const desc = first.desc === null ? null : fold(bodies.map((b) => b.desc!));
    if (
      cmd === null || deps.includes(null) || outs.includes(null) ||
      (first.desc !== null && desc === null)
    ) {
      return null;
    }
    const body = render({
      ...first,
      cmd,
      deps: deps as string[],
      outs: first.outs.map((out, i) => ({ ...out, path: outs[i]! })),
      desc,
    }, group[0]!.def.baseName);
    if (dictForeach) {
      return {
        foreach: Object.fromEntries(
          group.map((stage) => [stage.def.variant!, stage.def.params["item"]]),
        ),
        do: body,
      };
    }
    if (single) {
      return { foreach: values.map((v) => typedValue(v[dims[0]!]!)), do: body };
    }
    const matrix: PlainObject = {};
    for (const dim of dims) matrix[dim] = [...new Set(values.map((v) => v[dim]!))].map(typedValue);
    if (
      group[0]!.def.name !== `${group[0]!.def.baseName}@${dims.map((d) => values[0]![d]).join("-")}`
    ) {
      this.#note(
        "info",
        group[0]!.def.baseName,
        "matrix",
        "DVC names the variants <stage>@<value>-<value>, in dimension order",
      );
    }
    return { matrix, ...body };
  }
}

/**
 * A DVC stage body in DVC's key order, for DVC stage `name` (which keys its
 * own parameters in {@linkcode OWN_PARAMS_FILE}).
 */
function render(stage: DvcStage, name: string): PlainObject {
  const own = `${OWN_PARAMS_KEY}.${name}`;
  const body: PlainObject = {};
  if (stage.desc !== null) body["desc"] = stage.desc;
  if (stage.wdir !== ".") body["wdir"] = stage.wdir;
  body["cmd"] = stage.cmd.replaceAll(OWN_PARAMS_REF, own);
  if (stage.deps.length > 0) body["deps"] = [...stage.deps];
  const ownKeys = Object.keys(stage.literal).map((key) => `${own}.${key}`);
  const params = [
    ...stage.params,
    ...(ownKeys.length > 0 ? [{ [stage.ownParamsFile]: ownKeys }] : []),
  ];
  if (params.length > 0) body["params"] = params;
  for (const section of ["outs", "metrics", "plots"]) {
    const entries = stage.outs.filter((out) => out.section === section).map((out) =>
      Object.keys(out.flags).length === 0 ? out.path : { [out.path]: out.flags }
    );
    if (entries.length > 0) body[section] = entries;
  }
  return body;
}

/** A matrix value as DVC's YAML should hold it: a number or boolean when it reads as one. */
function typedValue(text: string): string | number | boolean {
  if (text === "true" || text === "false") return text === "true";
  const number = Number(text);
  return text.trim() !== "" && Number.isFinite(number) && String(number) === text ? number : text;
}

function isRunTime(name: string): boolean {
  return name === "stage" || name === "outs" || /^(deps|outs|params)\./.test(name);
}

function removeAt(object: PlainObject, at: readonly string[]): void {
  const parents: PlainObject[] = [object];
  for (const key of at.slice(0, -1)) {
    const next = parents[parents.length - 1]![key];
    if (!isPlainObject(next)) return;
    parents.push(next);
  }
  delete parents[parents.length - 1]![at[at.length - 1]!];
  // Drop maps left empty.
  for (let i = parents.length - 1; i > 0; i--) {
    if (Object.keys(parents[i]!).length === 0) delete parents[i - 1]![at[i - 1]!];
  }
}
