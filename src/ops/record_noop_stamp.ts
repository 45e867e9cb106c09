/**
 * Writing no-op stamps (see `noop_stamp.ts`) after a run that found every
 * stage up to date.
 *
 * @module
 */
import * as path from "node:path";
import { planStage, type StageCompleteEvent } from "../engine/mod.ts";
import { PIPELINE_FILE_NAMES } from "../pipeline/mod.ts";
import { paramsOverridesFile, userConfigFile } from "../project/mod.ts";
import type { Session } from "../session/mod.ts";
import { ABSENT, fileSignature, fileSignatureText } from "../storage/file_signature.ts";
import { isInside } from "../util/paths.ts";
import { cachedOutputIgnores } from "./ignore_outputs.ts";
import { settledBefore } from "../storage/racy_window.ts";
import { NOOP_STAMP_FORMAT, type NoopStamp, type StampEvidence } from "./noop_stamp.ts";
import { trackingFileCandidates } from "./tracked_inputs.ts";

/**
 * The stamp of a run that found every stage of `stages` up to date: the
 * signatures of everything its verdicts were read from (config, params and
 * pipeline files with their `vars:` files, the places pipeline files are looked for, locks, inputs,
 * the `.pvt` files that do or could track file inputs, outputs with every
 * entry of directory ones, the cache directories of the blobs the session
 * looked for (so a deleted, quarantined or added blob is noticed), the code its
 * fingerprints read, the
 * `.gitignore` files of cached outputs). `since` is when the command started
 * reading the stages (`projectSince`, when it loaded the project): a path
 * changed after it, or within the racy window before it, may have been read
 * in another state than the one recorded now.
 * `null` when a stamp would not be evidence: for that reason, or because a
 * pipeline is a TypeScript module (its stages may depend on anything).
 */
export function buildNoopStamp(
  session: Session,
  stages: readonly string[],
  completions: readonly StageCompleteEvent[],
  since: number,
  projectSince = since,
  projectAtStart?: ReadonlyMap<string, string | null>,
): NoopStamp | null {
  const evidence = stampEvidence(session, stages, since, {}, projectSince, projectAtStart);
  if (evidence === null) return null;
  return {
    format: NOOP_STAMP_FORMAT,
    writtenMs: since,
    ...evidence,
    stages,
    completions: completions.map((event) => ({
      stage: event.stage,
      index: event.index,
      total: event.total,
      reason: event.reason,
      details: event.details,
    })),
  };
}

/** More paths a command read, besides those of its stages (see {@linkcode stampEvidence}). */
export interface MoreEvidence {
  /** Files and directories whose own signature counts. */
  readonly files?: Iterable<string>;
  /** Paths whose signature counts with that of everything below, when a directory. */
  readonly trees?: Iterable<string>;
}

/**
 * The signatures of everything a command that looked at `stages` read (see
 * {@linkcode buildNoopStamp}), and of the paths of `more`; `null` when they
 * would not be evidence. The files the project was loaded from (config,
 * params, pipeline files and the places they are looked for) were read at
 * `projectSince`, the rest at `since` (later, when a run's stages were
 * looked at once more after it); `projectAtStart` has their signatures
 * taken then (see {@linkcode projectSignatures}), which they must still have
 * (a file deleted since has no time to tell).
 */
export function stampEvidence(
  session: Session,
  stages: readonly string[],
  since: number,
  more: MoreEvidence = {},
  projectSince = since,
  projectAtStart?: ReadonlyMap<string, string | null>,
): StampEvidence | null {
  const { project } = session;
  const { root, discovery } = project;
  const pipelineFiles = discovery.pipelines.map((pipeline) => pipeline.file);
  if (pipelineFiles.some((file) => file.endsWith(".ts"))) return null;
  const projectFiles = projectSources(session);
  const files = new Set<string>();
  const trees = new Set<string>();
  const sentinels: Record<string, string[]> = {};
  for (const name of stages) {
    const plan = planStage(project, name);
    files.add(plan.lockFile);
    for (const dep of plan.deps) {
      for (const input of dep.inputs) {
        trees.add(input.path);
        if (input.identity !== null) continue;
        trackingFileCandidates(root, input.path).forEach((pvt) => files.add(pvt));
      }
    }
    plan.outs.forEach((out) => trees.add(out.path));
    (sentinels[path.dirname(plan.sentinel)] ??= []).push(path.basename(plan.sentinel));
  }
  for (const dir of cachedOutputIgnores(project, stages).keys()) {
    files.add(path.join(dir, ".gitignore"));
  }
  for (const dir of session.blobDirs) files.add(dir);
  for (const file of more.files ?? []) files.add(file);
  for (const tree of more.trees ?? []) trees.add(tree);

  const followed: Record<string, string> = {};
  const unfollowed: Record<string, string> = {};
  const record = (file: string, into: Record<string, string>, follow: boolean, at = since) => {
    const signature = fileSignature(session.stats, file, follow);
    if (signature === null) return null;
    if (signature.text !== ABSENT && !settledBefore(signature, at)) return null;
    into[file] = signature.text;
    return signature.text;
  };
  /** A file the project was loaded from: as it was when `projectSince` was taken, if known. */
  const recordProjectFile = (file: string) => {
    const text = record(file, followed, true, projectSince);
    const before = projectAtStart?.get(file);
    return before === undefined || before === text ? text : null;
  };
  const walk = (dir: string): boolean => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch {
      return false;
    }
    for (const entry of entries) {
      const child = path.join(dir, entry.name);
      if (record(child, unfollowed, false) === null) return false;
      if (entry.isDirectory && !walk(child)) return false;
    }
    return true;
  };
  for (const file of projectFiles) if (recordProjectFile(file) === null) return null;
  for (const file of files) if (record(file, followed, true) === null) return null;
  for (const tree of trees) {
    const text = record(tree, followed, true);
    if (text === null || (text.startsWith("d:") && !walk(tree))) return null;
  }
  return { followed, unfollowed, sentinels };
}

/**
 * The files the project of `session` was loaded from, and the places
 * pipeline files are looked for: config files, `params.yaml`, the pipeline
 * files with their `vars:` files, the directories and files of the
 * project-wide search, the code the fingerprints read.
 */
function projectSources(session: Session): Set<string> {
  const { project } = session;
  const { root, discovery } = project;
  const files = new Set<string>();
  const userConfig = userConfigFile(project.env);
  if (userConfig !== null) files.add(userConfig);
  files.add(path.join(root, ".pivot", "config.yaml"));
  const paramsFile = paramsOverridesFile(root, project.config);
  if (paramsFile !== null) files.add(paramsFile);
  for (const dir of new Set([isInside(root, project.cwd) ? project.cwd : root, root])) {
    for (const name of PIPELINE_FILE_NAMES) files.add(path.join(dir, name));
  }
  discovery.pipelines.forEach((pipeline) => pipeline.sources.forEach((file) => files.add(file)));
  discovery.scanned?.dirs.forEach((dir) => files.add(dir));
  discovery.scanned?.files.forEach((file) => files.add(file));
  session.fingerprints.files().forEach((file) => files.add(file));
  return files;
}

/**
 * The signatures of the files the project of `session` was loaded from (see
 * {@linkcode stampEvidence}), taken when a run starts, for the stamp it may
 * leave at its end.
 */
export function projectSignatures(session: Session): Map<string, string | null> {
  const signatures = new Map<string, string | null>();
  for (const file of projectSources(session)) {
    signatures.set(file, fileSignatureText(session.stats, file, true));
  }
  return signatures;
}
