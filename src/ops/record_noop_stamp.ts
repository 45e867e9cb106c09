/**
 * Writing no-op stamps (see `noop_stamp.ts`) after a run that found every
 * stage up to date.
 *
 * @module
 */
import * as path from "node:path";
import type { StageCompleteEvent } from "../engine/mod.ts";
import { PIPELINE_FILE_NAMES } from "../pipeline/find_pipeline_file.ts";
import { paramsOverridesFile, userConfigFile } from "../project/config.ts";
import type { Session } from "../session/mod.ts";
import { AbsentGroupsBuilder } from "../storage/absent_groups.ts";
import { absentSince } from "../storage/absent_since.ts";
import {
  ABSENT,
  fileSignature,
  fileSignatureText,
  type Signature,
} from "../storage/file_signature.ts";
import {
  RACY_BYTES_LIMIT,
  racyCost,
  racyEntryHolds,
  type RacyRead,
  takeRacyEntry,
} from "../storage/racy_content.ts";
import { isInside } from "../util/paths.ts";
import { PATH_ABSENT, type PreciseStat } from "../util/precise_stat.ts";
import { cachedOutputIgnoreDirs } from "./ignore_outputs.ts";
import { settledBefore } from "../storage/racy_window.ts";
import { NOOP_STAMP_FORMAT, type NoopStamp, type StampEvidence } from "./noop_stamp.ts";
import { trackingFileCandidates } from "./tracked_inputs.ts";

/**
 * The stamp of a run that found every stage of `stages` up to date: the
 * signatures of everything its verdicts were read from (config, params and
 * pipeline files with their `vars:` files, the places pipeline files are looked for, locks, inputs,
 * the `.pvt` files that do or could track file inputs or outputs declared with `path:`, outputs with every
 * entry of directory ones (and what a symlink among them points to: the blob of a
 * symlink checkout; an input or output that is a symlink, both), the cache directories of the blobs the session
 * looked for (so a deleted, quarantined or added blob is noticed), the code its
 * fingerprints read, the
 * `.gitignore` files of cached outputs). `since` is when the command started
 * reading the stages (`projectSince`, when it loaded the project): a path
 * changed after it, or within the racy window before it, may have been read
 * in another state than the one recorded now.
 * `null` when a stamp would not be evidence: for that reason, or because a
 * pipeline is a TypeScript module and `options.pipelineModules` does not
 * list what it is loaded from.
 */
export function buildNoopStamp(
  session: Session,
  stages: readonly string[],
  /** What the run reported; `null`: every stage was found up to date when confirmed. */
  completions: readonly StageCompleteEvent[] | null,
  since: number,
  options: EvidenceOptions = {},
): NoopStamp | null {
  const evidence = stampEvidence(session, stages, since, { ...options, upToDate: true });
  if (evidence === null) return null;
  return {
    format: NOOP_STAMP_FORMAT,
    writtenMs: since,
    ...evidence,
    sources: [...projectSources(session, moreSources(options))],
    stages,
    completions: completions === null
      ? stages.map((stage, i) => ({
        stage,
        index: i + 1,
        total: stages.length,
        reason: "up to date",
        details: NO_DETAILS,
      }))
      : completions.map((event) => ({
        stage: event.stage,
        index: event.index,
        total: event.total,
        reason: event.reason,
        details: event.details,
      })),
  };
}

/** The details of a stage found up to date when a run was confirmed: none (one array for all). */
const NO_DETAILS: readonly string[] = Object.freeze([]);

/** What else a stamp holds, and when what it holds was read (see {@linkcode stampEvidence}). */
export interface EvidenceOptions {
  /** Files and directories whose own signature counts, besides those of the stages. */
  readonly files?: Iterable<string>;
  /**
   * Files counted as files the project was loaded from, besides those this
   * session read (a run that did not assess every stage has not read the
   * code of every fingerprint: the earlier stamp's sources).
   */
  readonly sources?: Iterable<string>;
  /** Paths whose signature counts with that of everything below, when a directory. */
  readonly trees?: Iterable<string>;
  /**
   * What the `pipeline.ts` modules of the project are loaded from (see
   * `pipelineModuleSources`), counted as files the project was loaded from:
   * without them, a project with such a module gets no evidence.
   */
  readonly pipelineModules?: readonly string[];
  /** When the project was loaded. @default {`since`} */
  readonly projectSince?: number;
  /**
   * The signatures of the files the project was loaded from, taken when
   * the command started (see {@linkcode projectSignatures}): they must be
   * unchanged (a file deleted since has no time to tell).
   */
  readonly projectAtStart?: ReadonlyMap<string, string | null>;
  /**
   * Stages whose reads were looked at when the command started (at
   * `projectSince`), not at `since`: a run's stages that it neither ran nor
   * restored, nor any downstream of those. @default {none}
   */
  readonly earlierStages?: ReadonlySet<string>;
  /**
   * An earlier stamp's evidence, found unchanged for the reads of its
   * `stages` (which the command did not assess) when the command started:
   * their signatures are carried over as they are, not taken again (a path
   * changed since differs from them, and the next command notices). Paths
   * the other stages read are taken again, but for the outputs of `stages`,
   * which keep theirs (a run may have changed one, as the stages it did not
   * look at again would not notice), and for the files the other stages read
   * that are no stage's output (and the `.pvt` files that could track them)
   * which were unchanged when the command started but differ now: they keep
   * their signature too, as a stage of `stages` may read them and has not
   * seen the change; the next command does. @default {none}
   */
  readonly carried?: {
    readonly evidence: StampEvidence;
    readonly stages: ReadonlySet<string>;
    /** The paths of `evidence` found changed when the command started. */
    readonly changed: ReadonlySet<string>;
  };
  /**
   * Where racy entries are allowed: a path read at `since` by the stages
   * looked at (a lock, an input, an output), a cache directory of blobs or
   * a `.gitignore` of cached outputs, not settled before `since`, is kept
   * with a digest of its content (see `storage/racy_content.ts`) instead of
   * making the evidence `null`, and that content is put in this map (all
   * racy entries of the stamp, carried ones too, within
   * `RACY_BYTES_LIMIT`). The caller must
   * then check that the content is what the verdicts were reached on (see
   * `vouch_racy_reads.ts`), or drop the evidence. @default {no racy entries}
   */
  readonly racy?: Map<string, RacyRead>;
  /**
   * What a look at the stages after `since` found of the paths it looked at
   * (see `confirm_up_to_date.ts`): their signatures are taken from there,
   * not looked at again (one changed since has another signature now, and
   * the stamp does not hold). @default {every path looked at now}
   */
  readonly seen?: PreciseStat;
  /**
   * The stages were all found up to date (a no-op stamp): each lock, input
   * and output was read as present, so one absent now was deleted after it
   * was read (an absent path has no time to tell when), and the evidence is
   * `null`. @default {false: an absent one is recorded as absent when the
   * directory above it has not changed since it was read, see
   * `storage/absent_since.ts`}
   */
  readonly upToDate?: boolean;
}

/**
 * The signatures of everything a command that looked at `stages` read (see
 * {@linkcode buildNoopStamp}), and of the paths of `options`; `null` when
 * they would not be evidence. The files the project was loaded from
 * (config, params, pipeline files and the places they are looked for), and
 * the reads of `earlierStages`, were read at `projectSince`; the rest at
 * `since` (later, when a run's stages were looked at once more after it).
 */
export function stampEvidence(
  session: Session,
  stages: readonly string[],
  since: number,
  options: EvidenceOptions = {},
): StampEvidence | null {
  const { project } = session;
  const { root, discovery } = project;
  const pipelineFiles = discovery.pipelines.map((pipeline) => pipeline.file);
  if (pipelineFiles.some((file) => file.endsWith(".ts")) && !options.pipelineModules) return null;
  const projectSince = options.projectSince ?? since;
  // Each path with the moment it must have been settled by (the earliest of its readings).
  const files = new Map<string, number>();
  const trees = new Map<string, number>();
  // Paths not read at `since` by the stages looked at: never racy entries.
  const notRacy = new Set<string>(options.files ?? []);
  /** Adds `file`, read at `at`; `racyOk` when read at `since` by the stages looked at. */
  const add = (into: Map<string, number>, file: string, at: number, racyOk: boolean) => {
    if (!racyOk) notRacy.add(file);
    into.set(file, Math.min(at, into.get(file) ?? at));
  };
  const { carried } = options;
  const sentinels: Record<string, string[]> = Object.fromEntries(
    Object.entries(carried?.evidence.sentinels ?? {}).map(([dir, names]) => [dir, [...names]]),
  );
  // The names carried over, to look them up (after a change to one stage of 10,000).
  const carriedSentinels = new Map(
    Object.entries(carried?.evidence.sentinels ?? {}).map(([dir, names]) => [dir, new Set(names)]),
  );
  const fresh = stages.filter((name) => !carried?.stages.has(name));
  // An input that is the output of a stage whose evidence is carried keeps the carried
  // signature: it was found unchanged when the command started, and any change since
  // differs from it (after one input of a fan-in of a thousand changed, one is taken again).
  const carriedOutput = (file: string) =>
    carried !== undefined && carried.evidence.followed[file] !== undefined &&
    carried.stages.has(project.outputsByPath.get(file)?.stage ?? "");
  // The files read that are no stage's output, and the `.pvt` files that could track them
  // (asked about only for carried evidence: a fresh run's 10,000 inputs are not listed).
  const plainInputs = carried === undefined ? null : new Set<string>();
  const pvtCandidates = new Set<string>();
  const absent = new AbsentGroupsBuilder(carried?.evidence.absent);
  // The locks, inputs and outputs of the stages: one absent now may have been read as present
  // (see `upToDate`).
  const stageReads = new Set<string>();
  const readPresent = (file: string) => stageReads.add(file);
  for (const name of fresh) {
    const earlier = options.earlierStages?.has(name) ?? false;
    const at = earlier ? projectSince : since;
    const plan = session.plan(name);
    add(files, plan.lockFile, at, !earlier);
    readPresent(plan.lockFile);
    for (const dep of plan.deps) {
      for (const input of dep.inputs) {
        if (input.identity !== null && carriedOutput(input.path)) continue;
        add(trees, input.path, at, !earlier);
        readPresent(input.path);
        if (input.identity !== null) continue;
        plainInputs?.add(input.path);
        for (const pvt of trackingFileCandidates(root, input.path)) {
          add(files, pvt, at, !earlier);
          plainInputs?.add(pvt);
          pvtCandidates.add(pvt);
        }
      }
    }
    for (const out of plan.outs) {
      add(trees, out.path, at, !earlier);
      readPresent(out.path);
    }
    // An output declared at a path that a `.pvt` file tracks fails the build of its pipeline
    // (see `projectFileAt`): the `.pvt` files that could track one count, absent.
    for (const out of project.dag.stages.get(name)!.def.outs) {
      if (out.path === undefined) continue;
      for (const pvt of trackingFileCandidates(root, out.path)) {
        add(files, pvt, at, !earlier);
        pvtCandidates.add(pvt);
      }
    }
    // Each stage has a sentinel of its own (beside its own lock file): only the names carried
    // over may list it already.
    const dir = path.dirname(plan.sentinel);
    const sentinel = path.basename(plan.sentinel);
    if (!carriedSentinels.get(dir)?.has(sentinel)) (sentinels[dir] ??= []).push(sentinel);
  }
  for (const dir of cachedOutputIgnoreDirs(project, fresh)) {
    add(files, path.join(dir, ".gitignore"), since, true);
  }
  for (const dir of session.blobDirs) add(files, dir, since, true);
  for (const file of options.files ?? []) add(files, file, since, false);
  for (const tree of options.trees ?? []) add(trees, tree, since, false);

  const followed: Record<string, string> = { ...carried?.evidence.followed };
  const racy = new RacyEntries(session.stats, options.racy, carried?.evidence);
  const unfollowed: Record<string, string> = {};
  for (const [file, signature] of Object.entries(carried?.evidence.unfollowed ?? {})) {
    // Entries of a directory read again are all taken again.
    if (!insideAny(trees, file)) unfollowed[file] = signature;
  }
  /** The signature a plain input had when the command started, if it changed since (see `carried`). */
  const asAtStart = (file: string, follow: boolean, now: string): string | null => {
    if (carried === undefined || plainInputs === null || carried.changed.has(file)) return null;
    const before = (follow ? carried.evidence.followed : carried.evidence.unfollowed)[file] ??
      (follow && absent.carries(file) ? ABSENT : undefined);
    if (before === undefined || before === now) return null;
    return plainInputs.has(file) || insideAny(plainInputs, file) ? before : null;
  };
  const seen = options.seen ?? session.stats;
  const record = (
    file: string,
    into: Record<string, string>,
    follow: boolean,
    at: number,
    stats = seen,
  ) => {
    const signature = fileSignature(stats, file, follow);
    if (signature === null) return null;
    const before = asAtStart(file, follow, signature.text);
    if (follow) absent.forget(file);
    if (before !== null) return into[file] = before;
    // Deleted since it was read? An absent path has no time to tell whether before or after `at`.
    if (signature.text === ABSENT && stageReads.has(file)) {
      if (options.upToDate || !absentSince(session.stats, file, at)) return null;
    }
    if (follow) racy.forget(file);
    const settled = signature.text === ABSENT || settledBefore(signature, at);
    if (!settled && (!follow || notRacy.has(file) || !racy.keep(file, signature))) return null;
    into[file] = signature.text;
    return signature.text;
  };
  /** A file the project was loaded from: as it was when the command started, if known. */
  const recordProjectFile = (file: string) => {
    const text = record(file, followed, true, projectSince);
    const before = options.projectAtStart?.get(file);
    return before === undefined || before === text ? text : null;
  };
  const walk = (dir: string, at: number): boolean => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch {
      return false;
    }
    for (const entry of entries) {
      const child = path.join(dir, entry.name);
      notRacy.add(child);
      if (record(child, unfollowed, false, at) === null) return false;
      // A symlink into the cache (a symlink checkout) is read through: an edit changes its target.
      if (entry.isSymlink && record(child, followed, true, at) === null) return false;
      if (entry.isDirectory && !walk(child, at)) return false;
    }
    return true;
  };
  for (const file of projectSources(session, moreSources(options))) {
    notRacy.add(file);
    if (recordProjectFile(file) === null) return null;
  }
  /** Records a `.pvt` candidate with no entry at all in its directory's group; false when it has one. */
  const recordAbsent = (file: string, at: number): boolean => {
    if (seen.stat(file, false) !== PATH_ABSENT) return false;
    const before = asAtStart(file, true, ABSENT);
    if (before === null) {
      // Held by its directory's group from now on, not by a signature of its own.
      delete followed[file];
      racy.forget(file);
      absent.add(file, at);
    } else {
      absent.forget(file);
      followed[file] = before;
    }
    return true;
  };
  for (const [file, at] of files) {
    if (pvtCandidates.has(file) && recordAbsent(file, at)) continue;
    if (record(file, followed, true, at) === null) return null;
  }
  // The paths of `trees` that are symlinks: their own signature counts too (a symlink
  // checkout's output, a link a stage made). One pointed elsewhere after the look, at a file
  // whose signature is settled (any file written long ago), is then not settled itself.
  const links = new Set<string>();
  const treeStats = linksNoted(seen, links);
  for (const [tree, at] of trees) {
    const text = record(tree, followed, true, at, treeStats);
    if (text === null || (text.startsWith("d:") && !walk(tree, at))) return null;
    if (links.has(tree) && record(tree, unfollowed, false, at) === null) return null;
  }
  return {
    followed,
    unfollowed,
    sentinels,
    racy: racy.build(followed),
    absent: absent.build(session.stats),
  };
}

/**
 * The racy entries of one stamp being taken: those of an earlier stamp
 * carried over, and those kept now, whose content goes to `reads` (no new
 * racy entries when it is `undefined`); all within `RACY_BYTES_LIMIT`.
 */
class RacyEntries {
  readonly #stats: Session["stats"];
  readonly #reads: Map<string, RacyRead> | undefined;
  readonly #entries = new Map<string, string>();
  #cost = 0;

  /**
   * Starts from the racy entries of `carried`, but for those settled now:
   * a path with its recorded signature, outside the racy window of now, and
   * the recorded content, needs no content any more (a later change changes
   * its signature).
   */
  constructor(
    stats: Session["stats"],
    reads: Map<string, RacyRead> | undefined,
    carried: StampEvidence | undefined,
  ) {
    this.#stats = stats;
    this.#reads = reads;
    for (const [file, text] of Object.entries(carried?.racy ?? {})) {
      const recorded = carried!.followed[file];
      const now = fileSignature(stats, file, true);
      const settled = now !== null && now.text === recorded && settledBefore(now, Date.now()) &&
        racyEntryHolds(file, text) && fileSignatureText(stats, file, true) === recorded;
      if (settled) continue;
      this.#entries.set(file, text);
      this.#cost += racyCost(text);
    }
  }

  /** Drops the racy entry of `file`, recorded anew. */
  forget(file: string): void {
    const text = this.#entries.get(file);
    if (text === undefined) return;
    this.#cost -= racyCost(text);
    this.#entries.delete(file);
  }

  /** Keeps `file`, whose `signature` is not settled, as a racy entry; false when it cannot be. */
  keep(file: string, signature: Signature): boolean {
    if (this.#reads === undefined) return false;
    const entry = takeRacyEntry(this.#stats, file, signature, RACY_BYTES_LIMIT - this.#cost);
    if (entry === null) return false;
    this.forget(file);
    this.#cost += entry.cost;
    this.#reads.set(file, entry.read);
    this.#entries.set(file, entry.text);
    return true;
  }

  /** The racy entries of the paths `followed` holds. */
  build(followed: Readonly<Record<string, string>>): Record<string, string> {
    const racy: Record<string, string> = {};
    for (const [file, text] of this.#entries) if (file in followed) racy[file] = text;
    return racy;
  }
}

/** The files `options` counts as files the project was loaded from. */
function moreSources(options: EvidenceOptions): string[] {
  return [...options.sources ?? [], ...options.pipelineModules ?? []];
}

/**
 * `stats`, taking a path's own status first: a path that is no symlink has
 * no other (one call, as before), and a symlink is added to `links`, then
 * followed.
 */
function linksNoted(stats: PreciseStat, links: Set<string>): PreciseStat {
  return {
    precise: stats.precise,
    stat(file, follow = true) {
      const own = stats.stat(file, false);
      if (!follow || own === null || own === PATH_ABSENT || own.kind !== "symlink") return own;
      links.add(file);
      return stats.stat(file, true);
    },
    [Symbol.dispose]() {},
  };
}

/** True when a proper ancestor of `file` is one of `dirs`. */
function insideAny(dirs: { has(dir: string): boolean }, file: string): boolean {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (dirs.has(dir)) return true;
  }
  return false;
}

/**
 * The files the project of `session` was loaded from, and the places
 * pipeline files are looked for: config files, `params.yaml`, the pipeline
 * files with their `vars:` files, the directories and files of the
 * project-wide search, the code the fingerprints read; and `more`.
 */
function projectSources(session: Session, more: Iterable<string> = []): Set<string> {
  const { project } = session;
  const { root, discovery } = project;
  const files = new Set<string>(more);
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
 * {@linkcode stampEvidence}), and of `pipelineModules`, taken when a run
 * starts, for the stamp it may leave at its end.
 */
export function projectSignatures(
  session: Session,
  pipelineModules: readonly string[] = [],
): Map<string, string | null> {
  const signatures = new Map<string, string | null>();
  for (const file of projectSources(session, pipelineModules)) {
    signatures.set(file, fileSignatureText(session.stats, file, true));
  }
  return signatures;
}
