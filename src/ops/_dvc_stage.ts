/**
 * One DVC stage definition (with its `foreach` or `matrix` variants) turned
 * into a pivot stage, for `import-dvc`.
 *
 * @module
 */
import * as path from "node:path";
import { isIdentity } from "../identity/mod.ts";
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
import { readValueFile } from "./_dvc_source.ts";
import {
  type OutDraft,
  SCALAR_TYPES,
  type StageHost,
  type StageSource,
  Unconvertible,
} from "./_dvc_model.ts";

const STAGE_KEYS: ReadonlySet<string> = new Set([
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

/** A value per variant, or one text for all of them. */
type PerVariant = { readonly text: string } | { readonly each: readonly string[] };

/** Converts one DVC stage definition (with its variants). */
export class StageConversion {
  readonly #c: StageHost;
  readonly #s: StageSource;
  readonly #wdir: string;
  /** Per-variant overrides (`deps`, `outs`) when a field cannot be one template. */
  readonly #overrides: PlainObject[];

  constructor(converter: StageHost, source: StageSource) {
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

  /**
   * The pivot stage: its key in `stages:` (a matrix name template for a DVC
   * `matrix` of several dimensions) and its body.
   *
   * @throws {Unconvertible} when the stage cannot be expressed in pivot
   */
  convert(): { key: string; body: PlainObject } {
    const { name, body, iteration } = this.#s;
    for (const key of Object.keys(body)) {
      if (key === "persist") {
        // An output flag in DVC, written on the stage.
        this.#c.add(
          "warning",
          name,
          `persist: ${JSON.stringify(body[key])}`,
          "DVC's persist: true is not supported: pivot removes outputs before a stage runs",
          "keep what the command needs between runs outside its outputs",
        );
      } else if (!STAGE_KEYS.has(key)) {
        this.#c.add("warning", name, key, "unknown stage key, ignored", null);
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
