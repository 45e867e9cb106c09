/**
 * `dvc.yaml`'s top-level `plots:` and `metrics:` for `import-dvc`: each entry
 * that names a stage output makes that output a plot (with its `x`, `y` and
 * `template`) or a metric; the rest is reported.
 *
 * @module
 */
import * as path from "node:path";
import type { Format } from "../formats/mod.ts";
import { isPlainObject, type OutputKind, type PlainObject } from "../pipeline/mod.ts";
import { kindAllows } from "./_dvc_text.ts";

/** An output of a converted stage, as written into `pivot.yaml`. */
export interface ConvertedOutput {
  /** The DVC stage (definition) that writes it. */
  readonly stage: string;
  /** Its key in pivot. */
  readonly key: string;
  readonly format: Format;
  kind: OutputKind;
  /** The path as `dvc.yaml` writes it. */
  readonly dvcPath: string;
  /** Absolute path per variant. */
  readonly concrete: readonly string[];
  /** The output object in `pivot.yaml` (changed in place). */
  readonly object: PlainObject;
}

/** A report entry about a top-level definition. */
export interface TopLevelNote {
  readonly level: "warning" | "info";
  readonly stage: null;
  readonly dvc: string;
  readonly message: string;
  readonly fix: string | null;
}

/**
 * Applies `dvc.yaml`'s top-level `plots:` and `metrics:` (paths relative to
 * `dvcDir`) to the converted outputs, telling `note` what it could not map.
 */
export function applyTopLevelPlots(
  data: PlainObject,
  dvcDir: string,
  outputs: readonly ConvertedOutput[],
  note: (item: TopLevelNote) => void,
): void {
  const find = (file: string) => {
    const abs = path.resolve(dvcDir, file);
    return outputs.find((out) => out.concrete.includes(abs));
  };
  for (const [id, config] of plotEntries(data["plots"])) {
    const dvc = `plots: ${id}`;
    const x = config["x"];
    const y = config["y"];
    const template = typeof config["template"] === "string" ? config["template"] : undefined;
    const targets: [string, string | undefined, string | undefined][] = [];
    if (isPlainObject(y)) {
      for (const [file, column] of Object.entries(y)) {
        const xColumn = isPlainObject(x) ? x[file] ?? Object.values(x)[0] : x;
        targets.push([file, asColumn(xColumn), asColumn(column)]);
      }
      if (targets.length > 1) {
        note({
          level: "info",
          stage: null,
          dvc,
          message: `pivot plots one output at a time: ${
            targets.map(([file]) => file).join(", ")
          } are plotted each on its own`,
          fix: null,
        });
      }
    } else targets.push([id, asColumn(x), asColumn(y)]);
    if (Array.isArray(y) && y.length > 1) {
      note({
        level: "info",
        stage: null,
        dvc: `${dvc}: y: ${JSON.stringify(y)}`,
        message: `pivot plots one y field; it uses '${String(y[0])}'`,
        fix: null,
      });
    }
    for (const [file, xColumn, yColumn] of targets) {
      const out = find(file);
      if (out === undefined) {
        note({
          level: "warning",
          stage: null,
          dvc: `plots: ${file}`,
          message: "it is not an output of a stage; pivot plots are stage outputs",
          fix: "declare the file as an output of the stage that writes it",
        });
        continue;
      }
      if (out.kind !== "plot") {
        if (out.kind !== "data" || !kindAllows("plot", out.format)) {
          note({
            level: "warning",
            stage: null,
            dvc: `plots: ${file}`,
            message: `${out.stage}'s output ${out.key} stays a ${out.kind} (${out.format})`,
            fix: null,
          });
          continue;
        }
        out.kind = "plot";
        out.object["kind"] = "plot";
      }
      if (xColumn !== undefined) out.object["x"] = xColumn;
      if (yColumn !== undefined) out.object["y"] = yColumn;
      if (template !== undefined) out.object["template"] = template;
    }
  }
  const metrics = data["metrics"];
  if (!Array.isArray(metrics)) return;
  for (const file of metrics) {
    if (typeof file !== "string") continue;
    const out = find(file);
    if (out?.kind === "metric") continue;
    if (out === undefined || out.kind !== "data" || !kindAllows("metric", out.format)) {
      note({
        level: "warning",
        stage: null,
        dvc: `metrics: ${file}`,
        message: out === undefined
          ? "it is not an output of a stage; pivot metrics are stage outputs"
          : `${out.stage}'s output ${out.key} stays a ${out.kind} (${out.format})`,
        fix: out === undefined ? "declare the file as a metric of the stage that writes it" : null,
      });
      continue;
    }
    out.kind = "metric";
    out.object["kind"] = "metric";
    // A DVC output is cached; a pivot metric is not, unless it says so.
    if (out.object["cache"] === undefined) out.object["cache"] = true;
  }
}

/** The entries of a top-level `plots:` (a list or a map), each with its settings. */
function plotEntries(raw: unknown): [string, PlainObject][] {
  const entries: [string, PlainObject][] = [];
  const add = (id: string, config: unknown) =>
    entries.push([id, isPlainObject(config) ? config : {}]);
  if (Array.isArray(raw)) {
    for (const item of raw) {
      if (typeof item === "string") add(item, null);
      else if (isPlainObject(item)) Object.entries(item).forEach(([id, config]) => add(id, config));
    }
  } else if (isPlainObject(raw)) {
    Object.entries(raw).forEach(([id, config]) => add(id, config));
  }
  return entries;
}

function asColumn(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (Array.isArray(value) && typeof value[0] === "string") return value[0];
  return undefined;
}
