import * as path from "node:path";
import {
  baseStageName,
  IDENTITY_GRAMMAR,
  identityProblem,
  isValidKey,
  isValidName,
  isValidStageName,
  parseIdentity,
  splitProducer,
} from "../identity/mod.ts";
import { closestMatch, didYouMean } from "../util/did_you_mean.ts";
import { existsSync } from "../util/fs.ts";
import { isInside, isNormalRelative, joinNormal, relativePosix } from "../util/paths.ts";
import { RealPathGuard } from "../util/real_path_guard.ts";
import { DefinitionContext, type FieldPath, type Locator } from "./_context.ts";
import { isModuleFunction } from "./module_data.ts";
import { interpolate, interpolateCommand, references, soleReference } from "./interpolate.ts";
import { PIPELINE_KEYS, STAGE_KEYS } from "./keys.ts";
import { expandMatrix, type MatrixScalar } from "./matrix.ts";
import { projectFileAt, type ProjectFilesPlace, resolveOutputPath } from "./output_path.ts";
import { type ParsedOutput, parseOutputs } from "./outputs.ts";
import {
  deepMerge,
  effectiveParams,
  isPlainObject,
  lookupParam,
  type PlainObject,
} from "./params.ts";
import { commandWithParams } from "./command_with_params.ts";
import type { DepEntry, DepRef, OutputSpec, Pipeline, StageAction, StageDef } from "./types.ts";
import { loadVars, type Vars } from "./vars.ts";
import { UnknownStageDepError } from "./unknown_stage_dep_error.ts";

/** Where a pipeline definition came from and what it is loaded against. */
export interface PipelineSource {
  /** Absolute path of the pipeline file. */
  readonly file: string;
  /** `yaml` for `pivot.yaml`/`pivot.yml`, `ts` for `pipeline.ts` (allows function `run`). */
  readonly kind: "yaml" | "ts";
  /** The project root. */
  readonly projectRoot: string;
  /** The project's `params.yaml`, by stage name. */
  readonly paramsOverrides: Readonly<Record<string, PlainObject>>;
  /**
   * The params file configured by `params.overrides` (absolute), which no
   * output may overwrite, as `params.yaml` at the project root.
   * @default {null: only the root's `params.yaml`}
   */
  readonly paramsFile?: string | null;
  /** Maps field paths to source positions (YAML only). */
  readonly locate?: Locator;
}

/** Names a `cmd` may reference that are filled in only when it runs. */
function isRunTimeReference(name: string): boolean {
  return name === "stage" || name === "outs" || /^(deps|outs|params)\./.test(name);
}

const EXPORT_PATTERN = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A stage after shape checks and matrix expansion, before interpolation. */
interface StageDraft {
  readonly key: string;
  readonly path: FieldPath;
  readonly name: string;
  readonly baseName: string;
  readonly variant: string | null;
  readonly values: Readonly<Record<string, string>> | null;
  readonly typed: Readonly<Record<string, MatrixScalar>>;
  readonly cmd: string | null;
  readonly run: unknown;
  readonly deps: ReadonlyMap<string, { value: string | string[]; path: FieldPath }>;
  readonly outs: readonly ParsedOutput[];
  readonly params: PlainObject;
  readonly paramsPath: FieldPath;
  readonly mutex: readonly string[];
  readonly desc: string | null;
}

/**
 * Validates a raw pipeline definition (parsed YAML, or a `pipeline.ts` default
 * export) and expands it into stages.
 *
 * @throws {PipelineFileError} on the first problem, naming the field
 */
export async function buildPipeline(raw: unknown, source: PipelineSource): Promise<Pipeline> {
  const { file, projectRoot } = source;
  const dir = path.dirname(file);
  const displayFile = path.relative(projectRoot, file) || path.basename(file);
  const ctx: DefinitionContext = new DefinitionContext(file, displayFile, source.locate);
  if (!isPlainObject(raw)) {
    ctx.fail([], "a pipeline definition must be a map with a 'stages' key");
  }
  ctx.checkKeys(raw, PIPELINE_KEYS, []);

  const name = pipelineName(raw, ctx, dir);
  const root = pipelineRoot(raw["root"], ctx, dir, projectRoot);
  const vars = await loadVars(
    raw["vars"],
    ctx,
    ["vars"],
    dir,
    projectRoot,
  );
  if (raw["stages"] === undefined) ctx.fail([], "missing 'stages'");
  const stages = raw["stages"];
  if (!isPlainObject(stages)) ctx.fail(["stages"], "expected a map of stage name → stage");

  const drafts: StageDraft[] = [];
  for (const [key, rawStage] of Object.entries(stages)) {
    drafts.push(...draftStages(key, rawStage, ctx, source.kind));
  }
  const byName = new Map<string, StageDraft>();
  for (const draft of drafts) {
    if (byName.has(draft.name)) {
      ctx.fail(draft.path, `two stages are named '${draft.name}'`, { key: true });
    }
    byName.set(draft.name, draft);
  }

  const finish: FinishContext = {
    ctx,
    vars,
    pipeline: name,
    file,
    dir,
    root,
    stateDir: path.join(root, ".pivot"),
    projectRoot,
    paramsOverrides: source.paramsOverrides,
    locals: byName,
    paths: new RealPathGuard(projectRoot, { listDirectories: true }),
  };
  const stageDefs = drafts.map((draft) => finishStage(draft, finish));
  const reservedFiles = new Map<string, string>([
    [path.join(projectRoot, "params.yaml"), "the params file"],
    [file, "the pipeline file"],
    ...vars.files.map((varsFile) => [varsFile, "a vars file of this pipeline"] as const),
  ]);
  if (source.paramsFile != null) reservedFiles.set(source.paramsFile, "the params file");
  checkDeclaredPaths(drafts, stageDefs, ctx, { projectRoot, reservedFiles });
  return { name, file, sources: [file, ...vars.files], dir, root, stages: stageDefs };
}

/**
 * Refuses two outputs of this file declared at one path, or one inside
 * another's directory output, pointing at the second declaration, and an
 * output declared at one of the project's own files (see
 * {@linkcode projectFileAt}). (Clashes across files and with the places pivot
 * chooses are found when the project is opened.)
 */
function checkDeclaredPaths(
  drafts: readonly StageDraft[],
  stages: readonly StageDef[],
  ctx: DefinitionContext,
  place: ProjectFilesPlace,
): void {
  const { projectRoot } = place;
  const seen: { identity: string; path: string; isDir: boolean; at: FieldPath }[] = [];
  const lineOf = (at: FieldPath) => {
    const line = ctx.error(at, "").line;
    return line === undefined ? "" : `, line ${line}`;
  };
  drafts.forEach((draft, index) => {
    const stage = stages[index]!;
    draft.outs.forEach((parsed, position) => {
      const out = stage.outs[position]!;
      if (out.path === undefined || parsed.pathAt === undefined) return;
      const identity = out.key === null ? stage.name : `${stage.name}:${out.key}`;
      const shown = relativePosix(projectRoot, out.path);
      const isDir = out.format === "dir";
      for (const other of seen) {
        const otherShown = `${other.identity} (${relativePosix(projectRoot, other.path)}${
          other.isDir ? "/" : ""
        }${lineOf(other.at)})`;
        if (other.path === out.path) {
          ctx.fail(
            parsed.pathAt,
            `output ${identity} is declared at ${shown}, as is ${otherShown}`,
            {
              hint:
                "give each output its own path (in a matrix, use the dimensions: results/${size}/model.pkl)",
            },
          );
        }
        const hint = "a directory output holds only what its own stage writes: move one of them";
        if (other.isDir && isInside(other.path, out.path)) {
          ctx.fail(
            parsed.pathAt,
            `output ${identity} (${shown}) lies inside the directory output ${otherShown}`,
            { hint },
          );
        }
        if (isDir && isInside(out.path, other.path)) {
          ctx.fail(
            parsed.pathAt,
            `the directory output ${identity} (${shown}/) holds ${otherShown}`,
            { hint },
          );
        }
      }
      const conflict = projectFileAt(out.path, isDir, place);
      if (conflict !== null) {
        ctx.fail(parsed.pathAt, `output ${identity} → ${shown}${isDir ? "/" : ""}: ${conflict}`, {
          hint: "declare another path: a stage must not overwrite the project's own files",
        });
      }
      seen.push({ identity, path: out.path, isDir, at: parsed.pathAt });
    });
  });
}

function pipelineName(raw: PlainObject, ctx: DefinitionContext, dir: string): string {
  if (raw["pipeline"] !== undefined && raw["name"] !== undefined) {
    ctx.fail(["name"], "give the pipeline name once: 'pipeline' and 'name' are the same field");
  }
  const field = raw["pipeline"] !== undefined ? "pipeline" : "name";
  const value = raw[field];
  if (value === undefined) {
    const fromDir = path.basename(dir);
    if (!isValidName(fromDir)) {
      ctx.fail([], `the directory name '${fromDir}' is not a valid pipeline name`, {
        hint: "set 'pipeline: <name>' (a letter, then letters, digits, '_' or '-')",
      });
    }
    return fromDir;
  }
  if (typeof value !== "string" || !isValidName(value)) {
    ctx.fail(
      [field],
      `invalid pipeline name '${
        String(value)
      }': it must start with a letter and contain only letters, digits, '_' or '-'`,
    );
  }
  return value;
}

function pipelineRoot(
  raw: unknown,
  ctx: DefinitionContext,
  dir: string,
  projectRoot: string,
): string {
  if (raw === undefined) return dir;
  if (typeof raw !== "string" || raw.trim() === "") ctx.fail(["root"], "expected a directory path");
  const root = raw === "/" ? projectRoot : path.resolve(dir, raw);
  if (!isInside(projectRoot, root)) {
    ctx.fail(["root"], `root '${raw}' is outside the project`, {
      hint: "use '.', an ancestor such as '..', or '/' for the project root",
    });
  }
  if (!isInside(root, dir)) {
    ctx.fail(["root"], `root '${raw}' must be this file's directory or one of its ancestors`);
  }
  return root;
}

function draftStages(
  key: string,
  raw: unknown,
  ctx: DefinitionContext,
  kind: "yaml" | "ts",
): StageDraft[] {
  const stagePath: FieldPath = ["stages", key];
  if (!isPlainObject(raw)) ctx.fail(stagePath, `stage '${key}' must be a map`);
  ctx.checkKeys(raw, STAGE_KEYS, stagePath);
  const cmd = raw["cmd"];
  const run = raw["run"];
  if (cmd === undefined && run === undefined) {
    ctx.fail(
      stagePath,
      `stage '${key}' needs 'cmd' (a shell command) or 'run' (a TypeScript function)`,
    );
  }
  if (cmd !== undefined && run !== undefined) {
    ctx.fail([...stagePath, "run"], `stage '${key}' has both 'cmd' and 'run': keep one`);
  }
  if (cmd !== undefined && (typeof cmd !== "string" || cmd.trim() === "")) {
    ctx.fail([...stagePath, "cmd"], "expected a non-empty shell command");
  }
  if (run !== undefined) {
    const isFunction = isModuleFunction(run);
    if (!(typeof run === "string" || (isFunction && kind === "ts"))) {
      ctx.fail(
        [...stagePath, "run"],
        kind === "ts"
          ? "expected a function or '<module>#<export>'"
          : "expected '<module>#<export>', e.g. './stages.ts#train'",
      );
    }
  }
  const desc = raw["desc"];
  if (desc !== undefined && typeof desc !== "string") {
    ctx.fail([...stagePath, "desc"], "expected a string");
  }

  const baseDeps = readDeps(raw["deps"], ctx, [...stagePath, "deps"]);
  const baseOuts = parseOutputs(raw["outs"], ctx, [...stagePath, "outs"]);
  const baseParams = readParams(raw["params"], ctx, [...stagePath, "params"]);
  const baseMutex = readMutex(raw["mutex"], ctx, [...stagePath, "mutex"]);
  const common = {
    key,
    path: stagePath,
    cmd: typeof cmd === "string" ? cmd : null,
    run,
    desc: typeof desc === "string" ? desc : null,
  };

  if (raw["matrix"] === undefined) {
    if (!isValidStageName(key) || key.includes("@")) {
      ctx.fail(
        stagePath,
        key.includes("@")
          ? `stage name '${key}' has '@', which is only for matrix variants`
          : `invalid stage name '${key}': it must start with a letter and contain only letters, digits, '_' or '-'`,
        { key: true },
      );
    }
    return [{
      ...common,
      name: key,
      baseName: key,
      variant: null,
      values: null,
      typed: {},
      deps: baseDeps,
      outs: baseOuts,
      params: baseParams,
      paramsPath: [...stagePath, "params"],
      mutex: baseMutex,
    }];
  }

  return expandMatrix(key, raw["matrix"], ctx, [...stagePath, "matrix"]).map((variant) => {
    const deps = new Map(baseDeps);
    let outs = baseOuts;
    let params = baseParams;
    let paramsPath: FieldPath = [...stagePath, "params"];
    let mutex = baseMutex;
    for (const override of variant.overrides) {
      const at = override.path;
      for (const [name, value] of readDeps(override.value["deps"], ctx, [...at, "deps"])) {
        deps.set(name, value);
      }
      if (override.value["outs"] !== undefined) {
        outs = mergeOutputs(outs, parseOutputs(override.value["outs"], ctx, [...at, "outs"]));
      }
      if (override.value["params"] !== undefined) {
        params = deepMerge(params, readParams(override.value["params"], ctx, [...at, "params"]));
        paramsPath = [...at, "params"];
      }
      if (override.value["mutex"] !== undefined) {
        mutex = readMutex(override.value["mutex"], ctx, [...at, "mutex"]);
      }
    }
    return {
      ...common,
      name: variant.name,
      baseName: variant.baseName,
      variant: variant.variant,
      values: variant.values,
      typed: variant.typed,
      deps,
      outs,
      params,
      paramsPath,
      mutex,
    };
  });
}

/** Overrides replace outputs key by key; a single unnamed output is replaced whole. */
function mergeOutputs(
  base: readonly ParsedOutput[],
  override: ParsedOutput[],
): ParsedOutput[] {
  const keyed = (outs: readonly ParsedOutput[]) =>
    outs.length > 0 && outs.every((o) => o.key !== null);
  if (!keyed(base) || !keyed(override)) return override;
  const merged = new Map(base.map((o) => [o.key, o]));
  for (const out of override) merged.set(out.key, out);
  return [...merged.values()];
}

function readDeps(
  raw: unknown,
  ctx: DefinitionContext,
  at: FieldPath,
): Map<string, { value: string | string[]; path: FieldPath }> {
  const deps = new Map<string, { value: string | string[]; path: FieldPath }>();
  if (raw === undefined || raw === null) return deps;
  if (!isPlainObject(raw)) {
    ctx.fail(at, "expected a map of name → identity or file path", {
      hint: Array.isArray(raw)
        ? "name each dependency, e.g. 'deps: {raw: data/raw.csv, model: train:model}' " +
          "(a dvc.yaml's stages convert with 'pivot import-dvc')"
        : "e.g. 'deps: {raw: data/raw.csv, model: train:model}'",
    });
  }
  for (const [name, value] of Object.entries(raw)) {
    const where = [...at, name];
    if (!isValidKey(name)) {
      ctx.fail(
        where,
        `invalid dependency name '${name}': use a letter or '_', then letters, digits, '_' or '-'`,
        {
          key: true,
        },
      );
    }
    if (typeof value === "string") {
      if (value.trim() === "") ctx.fail(where, "empty dependency");
      deps.set(name, { value, path: where });
    } else if (Array.isArray(value)) {
      if (value.length === 0) ctx.fail(where, "empty dependency list");
      value.forEach((item, index) => {
        if (typeof item !== "string" || item.trim() === "") {
          ctx.fail([...where, index], "expected an identity or a file path");
        }
      });
      deps.set(name, { value: value as string[], path: where });
    } else {
      ctx.fail(where, "expected an identity, a file path, or a list of them");
    }
  }
  return deps;
}

function readParams(raw: unknown, ctx: DefinitionContext, at: FieldPath): PlainObject {
  if (raw === undefined || raw === null) return {};
  if (!isPlainObject(raw)) ctx.fail(at, "expected a map of parameter name → value");
  checkPlainData(raw, ctx, at);
  return raw;
}

function checkPlainData(value: unknown, ctx: DefinitionContext, at: FieldPath): void {
  if (value === null || ["string", "number", "boolean"].includes(typeof value)) {
    if (typeof value === "number" && !Number.isFinite(value)) {
      ctx.fail(at, "parameters must be finite numbers");
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => checkPlainData(item, ctx, [...at, index]));
    return;
  }
  if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) checkPlainData(item, ctx, [...at, key]);
    return;
  }
  ctx.fail(at, "parameters must be plain data (strings, numbers, booleans, null, lists, maps)");
}

function readMutex(raw: unknown, ctx: DefinitionContext, at: FieldPath): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) ctx.fail(at, "expected a list of mutex group names");
  return raw.map((item, index) => {
    if (typeof item !== "string" || item.trim() === "") {
      ctx.fail([...at, index], "expected a group name");
    }
    return item.trim().toLowerCase();
  });
}

interface FinishContext {
  readonly ctx: DefinitionContext;
  readonly vars: Vars;
  readonly pipeline: string;
  readonly file: string;
  readonly dir: string;
  readonly root: string;
  /** `<root>/.pivot`, shared by the stages of the pipeline. */
  readonly stateDir: string;
  readonly projectRoot: string;
  readonly paramsOverrides: Readonly<Record<string, PlainObject>>;
  readonly locals: ReadonlyMap<string, StageDraft>;
  /** Real paths of file dependencies (each directory resolved once). */
  readonly paths: RealPathGuard;
}

function finishStage(draft: StageDraft, fc: FinishContext): StageDef {
  const { ctx } = fc;
  const resolveVar = (name: string) => draft.values?.[name] ?? fc.vars.values.get(name);
  const substitute = (text: string, at: FieldPath): string => {
    const result = interpolate(text, resolveVar);
    if (result.unresolved.length > 0) failUnresolved(draft, result.unresolved, ctx, at);
    return result.text;
  };

  const deps: DepEntry[] = [];
  for (const [name, { value, path: at }] of draft.deps) {
    const texts = Array.isArray(value) ? value : [value];
    const refs = texts.map((text, index) => {
      const where = Array.isArray(value) ? [...at, index] : at;
      return classifyDep(substitute(text, where), where, draft, fc);
    });
    deps.push({ name, list: Array.isArray(value), refs });
  }

  const declared = substituteParams(draft, fc.vars, substitute);
  const params = effectiveParams(declared, fc.paramsOverrides, {
    name: draft.name,
    pipeline: fc.pipeline,
  });

  let action: StageAction;
  if (draft.cmd !== null) {
    const at = [...draft.path, "cmd"];
    const result = interpolateCommand(draft.cmd, resolveVar, { keep: isRunTimeReference });
    if (result.unresolved.length > 0) failUnresolved(draft, result.unresolved, ctx, at);
    checkRunTimeReferences(result.text, draft, deps, params, ctx, at);
    action = {
      kind: "cmd",
      command: result.text,
      ...paramTemplate(draft.cmd, result.text, resolveVar, params),
    };
  } else {
    action = runAction(draft, fc, substitute);
  }

  return {
    name: draft.name,
    baseName: draft.baseName,
    variant: draft.variant,
    pipeline: fc.pipeline,
    file: fc.file,
    dir: fc.dir,
    root: fc.root,
    stateDir: fc.stateDir,
    action,
    deps,
    outs: draft.outs.map((out) => finishOutput(out, fc, substitute)),
    params,
    mutex: draft.mutex,
    desc: draft.desc === null ? null : substitute(draft.desc, [...draft.path, "desc"]),
    matrix: draft.values,
  };
}

/** An output with its declared `path` (if any) substituted, resolved and checked. */
function finishOutput(
  out: ParsedOutput,
  fc: FinishContext,
  substitute: (text: string, at: FieldPath) => string,
): OutputSpec {
  const { pathAt, ...spec } = out;
  if (spec.path === undefined || pathAt === undefined) return spec;
  const text = substitute(spec.path, pathAt);
  const resolved = resolveOutputPath(text, spec.format === "dir", fc, fc.ctx, pathAt);
  // The extension is the path's own (`ext` is not allowed beside `path`).
  return {
    ...spec,
    ext: spec.format === "dir" ? "" : path.extname(resolved).slice(1),
    path: resolved,
  };
}

function failUnresolved(
  draft: StageDraft,
  names: readonly string[],
  ctx: DefinitionContext,
  at: FieldPath,
): never {
  const list = names.map((n) => `\${${n}}`).join(", ");
  ctx.fail(at, `stage '${draft.name}': unresolved ${list}`, {
    hint: "define it in a 'vars' file or as a matrix dimension; write \\${ for a literal ${",
  });
}

/**
 * Fills `${…}` in params; a value that is exactly `${name}` keeps the type of
 * the matrix value or the var (a var may also be a map or a list).
 */
function substituteParams(
  draft: StageDraft,
  vars: Vars,
  substitute: (text: string, at: FieldPath) => string,
): PlainObject {
  const walk = (value: unknown, at: FieldPath): unknown => {
    if (typeof value === "string") {
      const sole = soleReference(value);
      if (sole !== null && draft.typed[sole] !== undefined) return draft.typed[sole];
      if (sole !== null && draft.values?.[sole] === undefined && vars.typed.has(sole)) {
        return structuredClone(vars.typed.get(sole));
      }
      return substitute(value, at);
    }
    if (Array.isArray(value)) return value.map((item, index) => walk(item, [...at, index]));
    if (isPlainObject(value)) {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, walk(item, [...at, key])]),
      );
    }
    return value;
  };
  return walk(draft.params, draft.paramsPath) as PlainObject;
}

function checkRunTimeReferences(
  command: string,
  draft: StageDraft,
  deps: readonly DepEntry[],
  params: PlainObject,
  ctx: DefinitionContext,
  at: FieldPath,
): void {
  for (const name of references(command)) {
    if (name === "stage") continue;
    if (name === "outs") {
      if (draft.outs.length !== 1) {
        ctx.fail(
          at,
          draft.outs.length === 0
            ? `stage '${draft.name}': \${outs} used, but the stage declares no outputs`
            : `stage '${draft.name}': \${outs} needs a single output; use \${outs.<key>}`,
        );
      }
      continue;
    }
    const dot = name.indexOf(".");
    const group = name.slice(0, dot);
    const rest = name.slice(dot + 1);
    if (group === "deps" && !deps.some((d) => d.name === rest)) {
      ctx.fail(
        at,
        `stage '${draft.name}': \${${name}} names no dependency${
          didYouMean(rest, deps.map((d) => d.name))
        }`,
      );
    }
    if (group === "outs" && !draft.outs.some((o) => o.key === rest)) {
      const keys = draft.outs.flatMap((o) => (o.key === null ? [] : [o.key]));
      ctx.fail(at, `stage '${draft.name}': \${${name}} names no output${didYouMean(rest, keys)}`);
    }
    if (group === "params" && lookupParam(params, rest) === undefined) {
      ctx.fail(
        at,
        `stage '${draft.name}': \${${name}} names no parameter${
          didYouMean(rest, Object.keys(params))
        }`,
      );
    }
  }
}

/**
 * `{ paramTemplate }` for a command that reads stage parameters through vars
 * (`--lr ${train.lr}` with the parameter `train.lr: ${train.lr}`): the
 * command with those references left in, which the engine fills with the
 * parameters a lock recorded to tell a changed parameter from changed code.
 * Empty when no reference is a parameter or the template does not give back
 * `command`.
 */
function paramTemplate(
  cmd: string,
  command: string,
  resolveVar: (name: string) => string | undefined,
  params: PlainObject,
): { paramTemplate?: string } {
  const isParam = (name: string) => {
    const value = lookupParam(params, name);
    return ["string", "number", "boolean"].includes(typeof value) &&
      String(value) === resolveVar(name);
  };
  if (!references(cmd).some(isParam)) return {};
  const template = interpolateCommand(cmd, resolveVar, {
    keep: (name) => isRunTimeReference(name) || isParam(name),
  }).text;
  return commandWithParams(template, params) === command ? { paramTemplate: template } : {};
}

function runAction(
  draft: StageDraft,
  fc: FinishContext,
  substitute: (text: string, at: FieldPath) => string,
): StageAction {
  const at = [...draft.path, "run"];
  if (isModuleFunction(draft.run)) {
    return {
      kind: "run",
      module: fc.file,
      exportPath: ["default", "stages", draft.key, "run"],
      display: `${path.basename(fc.file)}#stages.${draft.key}.run`,
    };
  }
  const text = substitute(draft.run as string, at);
  const hash = text.lastIndexOf("#");
  const modulePart = hash === -1 ? "" : text.slice(0, hash);
  const exportName = hash === -1 ? "" : text.slice(hash + 1);
  if (modulePart === "" || !EXPORT_PATTERN.test(exportName)) {
    fc.ctx.fail(
      at,
      `invalid run '${text}': expected '<module>#<export>', e.g. './stages.ts#train'`,
    );
  }
  const module = path.resolve(fc.dir, modulePart);
  if (!isInside(fc.projectRoot, module)) {
    fc.ctx.fail(at, `run module '${modulePart}' is outside the project`);
  }
  if (!existsSync(module)) {
    fc.ctx.fail(at, `run module '${modulePart}' does not exist`, {
      hint: "the path is relative to the pipeline file",
    });
  }
  return { kind: "run", module, exportPath: [exportName], display: text };
}

/**
 * Decides whether a dependency string is an identity or a file path. An
 * identity is a string that follows the identity grammar and names a stage of
 * this pipeline, or carries another pipeline's prefix (checked at discovery);
 * anything else is a path relative to the pipeline file.
 */
function classifyDep(text: string, at: FieldPath, draft: StageDraft, fc: FinishContext): DepRef {
  const { ctx } = fc;
  const problem = identityProblem(text);
  if (problem === null) {
    const identity = parseIdentity(text);
    const { pipeline, stage } = splitProducer(identity.producer);
    if (pipeline !== null && pipeline !== fc.pipeline) {
      return { kind: "identity", text, pipeline, stage, key: identity.key };
    }
    const producer = fc.locals.get(stage);
    if (producer !== undefined) {
      checkOutputKey(producer.name, producer.outs, identity.key, ctx, at);
      return { kind: "identity", text, pipeline: fc.pipeline, stage, key: identity.key };
    }
    if (pipeline !== null || identity.key !== null) {
      throw new UnknownStageDepError(
        fc.file,
        `stage '${draft.name}' depends on '${text}', but pipeline '${fc.pipeline}' has no stage '${stage}'`,
        didYouMean(stage, fc.locals.keys()),
        { text, stage, key: identity.key },
        ctx.errorOptions(at),
      );
    }
    checkNearMiss(text, stage, at, draft, fc);
  }
  if (problem !== null && text.includes(":") && !/^\.{0,2}\//.test(text)) {
    ctx.fail(
      at,
      `stage '${draft.name}' depends on '${text}', which is not a valid identity: ${problem}`,
      {
        hint: `an identity is ${IDENTITY_GRAMMAR}; write a file path with ':' as './${text}'`,
      },
    );
  }
  const resolved = isNormalRelative(text) ? joinNormal(fc.dir, text) : path.resolve(fc.dir, text);
  if (!isInside(fc.projectRoot, resolved)) {
    ctx.fail(at, `stage '${draft.name}' depends on '${text}', which is outside the project`);
  }
  const real = fc.paths.realPath(resolved);
  if (!isInside(fc.paths.realRoot, real)) {
    ctx.fail(
      at,
      `stage '${draft.name}' depends on '${text}', which is outside the project: through a symlink it is ${real}`,
    );
  }
  return { kind: "file", text, path: resolved };
}

/** Throws when `key` is not an output of the producing stage. */
export function checkOutputKey(
  producer: string,
  outs: readonly OutputSpec[],
  key: string | null,
  ctx: DefinitionContext,
  at: FieldPath,
): void {
  if (outs.length === 0) ctx.fail(at, `stage '${producer}' declares no outputs to depend on`);
  if (key === null) return;
  const keys = outs.flatMap((o) => (o.key === null ? [] : [o.key]));
  if (keys.length === 0) {
    ctx.fail(
      at,
      `stage '${producer}' has a single unnamed output, not '${key}'; depend on '${producer}'`,
    );
  }
  if (!keys.includes(key)) {
    ctx.fail(at, `stage '${producer}' has no output '${key}'${didYouMean(key, keys)}`, {
      hint: `outputs of '${producer}': ${keys.join(", ")}`,
    });
  }
}

/**
 * Refuses an unprefixed dependency that is almost surely a mistyped stage:
 * a matrix stage's base name or unknown variant, or a near miss of a stage
 * name for which no file exists.
 */
function checkNearMiss(
  text: string,
  stage: string,
  at: FieldPath,
  draft: StageDraft,
  fc: FinishContext,
): void {
  const base = baseStageName(stage);
  const variants = [...fc.locals.values()].filter((s) => s.variant !== null && s.baseName === base);
  if (variants.length > 0) {
    fc.ctx.fail(
      at,
      `stage '${draft.name}' depends on '${text}', but '${base}' is a matrix stage: name one of its variants`,
      { hint: `variants: ${variants.map((v) => v.name).join(", ")}` },
    );
  }
  const suggestion = closestMatch(stage, fc.locals.keys());
  if (suggestion !== undefined && !existsSync(path.resolve(fc.dir, text))) {
    fc.ctx.fail(
      at,
      `stage '${draft.name}' depends on '${text}', which is neither a stage nor an existing file (did you mean '${suggestion}'?)`,
      { hint: `write a file that does not exist yet as './${text}'` },
    );
  }
}
