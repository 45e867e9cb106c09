import * as path from "node:path";
import { Document, parse, parseDocument, visit } from "../util/yaml_lib.ts";
import { findProjectRoot } from "../discovery/mod.ts";
import {
  buildPipeline,
  isPlainObject,
  PIPELINE_FILE_NAMES,
  type PlainObject,
} from "../pipeline/mod.ts";
import { parseYamlSource } from "../pipeline/yaml_source.ts";
import { loadConfig, paramsOverridesFile } from "../project/mod.ts";
import { openSession } from "../session/mod.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import { PivotError, UsageError } from "../util/errors.ts";
import { shellQuote } from "../util/shell_quote.ts";
import { existsSync, readTextOrNull } from "../util/fs.ts";
import { isInside, relativePosix } from "../util/paths.ts";
import { convertDvcPipeline, type ReportItem } from "./_dvc_convert.ts";
import { type DvcTrackedPath, findDvcTracked, md5OfFile } from "./_dvc_tracked.ts";
import { trackPaths, type TrackResult } from "./track_paths.ts";

export type { ReportItem } from "./_dvc_convert.ts";

/** Options for {@linkcode importDvc}. */
export interface ImportDvcOptions {
  /** The `dvc.yaml` to read, relative to `cwd`. @default {"dvc.yaml"} */
  input?: string;
  /** The `pivot.yaml` to write, relative to `cwd`. @default {"pivot.yaml" beside the input} */
  output?: string;
  /** Convert and report, write nothing. @default {false} */
  dryRun?: boolean;
  /** Replace an existing `pivot.yaml`. @default {false} */
  force?: boolean;
  /** Told about recoverable problems. */
  warn: (message: string) => void;
  /**
   * Stops the import before anything is written (the signal's reason is
   * thrown); once writing has begun, the import finishes, so no half-migrated
   * project (a `pivot.yaml` without the `.pvt` files of its data) is left.
   */
  signal?: AbortSignal | undefined;
}

/** What {@linkcode importDvc} did (or, with `dryRun`, would do). */
export interface ImportDvcResult {
  /** Project-relative path of the input. */
  readonly input: string;
  /** Project-relative path of the `pivot.yaml`. */
  readonly output: string;
  /** Its content. */
  readonly yaml: string;
  /** DVC stage definitions converted. */
  readonly stages: number;
  /** What could not be carried over as it was. */
  readonly report: readonly ReportItem[];
  /** Project-relative config file in which `params.overrides: none` was set, or `null`. */
  readonly configChanged: string | null;
  /** Data of `.dvc` files now tracked by pivot (empty with `dryRun`). */
  readonly tracked: readonly TrackResult[];
  /** Project-relative data paths of `.dvc` files to track once their data is here. */
  readonly toTrack: readonly string[];
  /** Project-relative data paths that would be tracked (with `dryRun`). */
  readonly wouldTrack: readonly string[];
  /** True when files were written. */
  readonly written: boolean;
}

const HEADER =
  "Converted from %s by 'pivot import-dvc'. Outputs stay at their DVC paths (path:);\n" +
  "parameters are read from the params files through vars, so a stage re-runs when one of\n" +
  "its own keys changes. Commands run in this file's directory.";

/**
 * Converts a DVC pipeline (`dvc.yaml`, its parameter files and `.dvc` files)
 * into a runnable `pivot.yaml`. Data tracked by `.dvc` files that is present
 * is tracked by pivot (`.pvt`); missing data is listed. When DVC's
 * `params.yaml` sits where pivot looks for its per-stage overrides, the
 * project config gets `params.overrides: none`.
 *
 * @throws {PivotError} outside a project, without a `dvc.yaml`, on invalid
 *   YAML, when `pivot.yaml` exists (without `force`) or another pipeline file
 *   is beside it, or when the converted pipeline does not load; nothing is
 *   written then
 */
export async function importDvc(cwd: string, options: ImportDvcOptions): Promise<ImportDvcResult> {
  const { input = "dvc.yaml", dryRun = false, force = false, warn } = options;
  const root = findProjectRoot(cwd);
  const dvcFile = path.resolve(cwd, input);
  const shown = (abs: string) => relativePosix(root, abs);
  const dvcText = await readTextOrNull(dvcFile);
  if (dvcText === null) {
    throw new PivotError(`no DVC pipeline at ${relativePosix(cwd, dvcFile)}`, {
      hint: "run in the DVC project's directory, or name the file with -i",
    });
  }
  if (!isInside(root, dvcFile)) {
    throw new PivotError(`${dvcFile} is outside the pivot project ${root}`, {
      hint: "run 'pivot init' in the DVC project's directory first",
    });
  }
  const outFile = options.output === undefined
    ? path.join(path.dirname(dvcFile), "pivot.yaml")
    : path.resolve(cwd, options.output);
  checkOutput(outFile, root, force);
  const { data } = parseYamlSource(dvcText, dvcFile, shown(dvcFile));
  const converted = convertDvcPipeline({ data, dvcFile, outFile, projectRoot: root });
  const report = [...converted.report];

  const yaml = pipelineYaml(
    converted.definition,
    HEADER.replace("%s", relativePosix(path.dirname(outFile), dvcFile)),
  );
  try {
    await buildPipeline(parse(yaml), {
      file: outFile,
      kind: "yaml",
      projectRoot: root,
      paramsOverrides: {},
    });
  } catch (error) {
    if (!(error instanceof PivotError)) throw error;
    throw new PivotError(`the converted pipeline does not load: ${error.message}`, {
      hint: "see the pipeline with 'pivot import-dvc --dry-run'; please report this",
    });
  }

  const config = await loadConfig(root);
  const overrides = paramsOverridesFile(root, config);
  const needsConfig = overrides !== null &&
    (converted.paramFiles.includes(overrides) ||
      (overrides === path.join(path.dirname(dvcFile), "params.yaml") && existsSync(overrides)));
  const configFile = path.join(root, ".pivot", "config.yaml");
  if (needsConfig) {
    report.push({
      level: "info",
      stage: null,
      dvc: shown(overrides),
      message:
        "your scripts read this file, so pivot stops reading it as per-stage overrides (params.overrides: none in .pivot/config.yaml)",
      fix: null,
    });
  }

  const { tracked: dvcTracked, problems } = findDvcTracked(path.dirname(dvcFile), root);
  for (const { dvcFile: file, problem } of problems) {
    report.push({
      level: "warning",
      stage: null,
      dvc: shown(file),
      message: `${problem}; skipped`,
      fix: null,
    });
  }
  const present = dvcTracked.filter((t) => t.state === "present");
  await noteTrackedFiles(dvcTracked, report, shown);
  const toTrack = dvcTracked.filter((t) => t.state === "missing").map((t) => shown(t.data));

  const base = {
    input: shown(dvcFile),
    output: shown(outFile),
    yaml,
    stages: converted.stages,
    report,
    toTrack,
  };
  if (dryRun) {
    return {
      ...base,
      configChanged: null,
      tracked: [],
      wouldTrack: present.map((t) => shown(t.data)),
      written: false,
    };
  }
  options.signal?.throwIfAborted();
  const previous = {
    pipeline: await readTextOrNull(outFile),
    config: await readTextOrNull(configFile),
  };
  let tracked: TrackResult[] = [];
  try {
    atomicWrite(outFile, yaml);
    if (needsConfig) await setConfigValue(configFile, ["params", "overrides"], "none");
    // Opening the project checks the new pipeline against the others (and their outputs).
    await using session = await openSession({ cwd: path.dirname(outFile), warn });
    if (present.length > 0) {
      tracked = await trackPaths(session, present.map((t) => t.data), { force });
    }
  } catch (error) {
    // Tracking checks every path before it writes anything: undo the two files.
    restore(outFile, previous.pipeline);
    if (needsConfig) restore(configFile, previous.config);
    throw error;
  }
  return {
    ...base,
    configChanged: needsConfig ? shown(configFile) : null,
    tracked,
    wouldTrack: [],
    written: true,
  };
}

/**
 * `definition` as YAML under a `header` comment, output objects written on
 * one line (`{format: dir, path: data/prepared}`).
 */
export function pipelineYaml(definition: PlainObject, header: string): string {
  const doc = new Document(definition);
  doc.commentBefore = header.split("\n").map((line) => ` ${line}`).join("\n");
  visit(doc, {
    Map(_, node) {
      if (node.has("format") && node.has("path")) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0 });
}

/** Refuses to replace a `pivot.yaml` without `force`, or to write beside another pipeline file. */
function checkOutput(outFile: string, root: string, force: boolean): void {
  const shown = relativePosix(root, outFile);
  if (!isInside(root, outFile)) {
    throw new PivotError(`${outFile} is outside the pivot project ${root}`);
  }
  const name = path.basename(outFile);
  if (name !== "pivot.yaml" && name !== "pivot.yml") {
    throw new UsageError(
      `cannot write the pipeline to ${shown}: pivot reads pivot.yaml or pivot.yml`,
      {
        hint: "give -o <directory>/pivot.yaml",
      },
    );
  }
  for (const other of PIPELINE_FILE_NAMES) {
    const file = path.join(path.dirname(outFile), other);
    if (file === outFile || !existsSync(file)) continue;
    throw new PivotError(
      `${relativePosix(root, file)} already holds a pipeline in that directory`,
      {
        hint: "pivot reads one pipeline file per directory: write the new one elsewhere with -o",
      },
    );
  }
  if (existsSync(outFile) && !force) {
    throw new PivotError(`${shown} exists`, {
      hint: "pass --force to replace it, or see the conversion with --dry-run",
    });
  }
}

/** Reports `.dvc` data that is missing, outside, imported, or changed since DVC recorded it. */
async function noteTrackedFiles(
  tracked: readonly DvcTrackedPath[],
  report: ReportItem[],
  shown: (abs: string) => string,
): Promise<void> {
  for (const item of tracked) {
    const dvc = shown(item.dvcFile);
    if (item.state === "outside") {
      report.push({
        level: "warning",
        stage: null,
        dvc,
        message: `it tracks ${item.data}, outside the project; skipped`,
        fix: "copy the data into the project and run 'pivot track' on it",
      });
    } else if (item.state === "missing") {
      report.push({
        level: "warning",
        stage: null,
        dvc,
        message: `${shown(item.data)} is not here, so pivot cannot track it yet`,
        fix: `get the data (\`dvc pull ${shellQuote(dvc)}\`), then run \`pivot track ${
          shellQuote(shown(item.data))
        }\``,
      });
    } else if (item.md5 !== null && !item.md5.endsWith(".dir")) {
      const info = await Deno.stat(item.data);
      if (info.isFile && (await md5OfFile(item.data)) !== item.md5) {
        report.push({
          level: "warning",
          stage: null,
          dvc,
          message: `${
            shown(item.data)
          } is not the version ${dvc} records; pivot tracks the file as it is`,
          fix: `to track the recorded version, run \`dvc checkout ${
            shellQuote(dvc)
          }\` and then \`pivot track --force ${shellQuote(shown(item.data))}\``,
        });
      }
    }
    if (item.imported) {
      report.push({
        level: "info",
        stage: null,
        dvc,
        message: "DVC imported this data from elsewhere; pivot tracks it as it is now",
        fix: "update it by hand and run 'pivot track --force' on it",
      });
    }
  }
}

/** Puts back `text` as the content of `file`, or removes it when it was `null`. */
function restore(file: string, text: string | null): void {
  if (text !== null) atomicWrite(file, text);
  else Deno.removeSync(file);
}

/** Sets `keys` to `value` in a YAML config file, keeping its comments (written atomically). */
async function setConfigValue(file: string, keys: string[], value: string): Promise<void> {
  const text = await readTextOrNull(file);
  const doc = text === null ? new Document({}) : parseDocument(text);
  if (!isPlainObject(doc.toJS() ?? {})) {
    throw new PivotError(`${file} is not a map of settings`);
  }
  if (doc.contents === null) doc.contents = doc.createNode({});
  doc.setIn(keys, value);
  atomicWrite(file, doc.toString());
}
