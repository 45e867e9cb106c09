import * as path from "node:path";
import {
  openContentCache,
  type Project,
  type ProjectOutput,
  resolveTarget,
  scanProjectFiles,
  stageOutputs,
} from "../project/mod.ts";
import {
  type CheckoutMode,
  type ContentCache,
  dataPathFor,
  FileHasher,
  type HashInfo,
  isDirHash,
  isLinkedToBlob,
  lockFilePath,
  Placer,
  readLockFile,
  readPvtFile,
  restoreDirectory,
  restoreFile,
  StateDbs,
} from "../storage/mod.ts";
import { PivotError } from "../util/errors.ts";
import { statOrNull } from "../util/fs.ts";
import { relativePosix } from "../util/paths.ts";
import { holdCacheForWriting } from "./_cache_guard.ts";

/** Options for {@linkcode checkoutOutputs}. */
export interface CheckoutOptions {
  /** Identities and tracked paths; empty means every stage output and tracked path. */
  targets: readonly string[];
  /** Checkout modes to try, in order. */
  modes: readonly CheckoutMode[];
  /** Overwrite workspace copies that differ from the recorded version. @default {false} */
  force?: boolean;
  /** Restore only what is absent; leave every existing path alone. @default {false} */
  onlyMissing?: boolean;
  /** Told about malformed lock files. */
  warn: (message: string) => void;
}

/** One restorable path. */
export interface CheckoutItem {
  /** `train:model → data/ml/train/model.json`, or a tracked path (`data.csv`). */
  readonly label: string;
  /** Absolute workspace path. */
  readonly path: string;
  readonly isDir: boolean;
}

/** What {@linkcode checkoutOutputs} did, item by item. */
export interface CheckoutReport {
  /** Written from the cache. */
  readonly restored: CheckoutItem[];
  /** Already matching the recorded version. */
  readonly upToDate: CheckoutItem[];
  /** Present and left alone (`onlyMissing`). */
  readonly skipped: CheckoutItem[];
  /** Present with other content and not overwritten (no `force`). */
  readonly modified: CheckoutItem[];
  /** A blob it needs is not in the cache. */
  readonly missing: CheckoutItem[];
  /** Stages with nothing recorded to restore (no lock, or a lock without the output). */
  readonly notRun: string[];
  /** Targeted outputs that are not cached (`cache: false`). */
  readonly notCached: string[];
  /** Tracking files that could not be read. */
  readonly problems: string[];
  /** Blobs found corrupt and moved aside (their content had been edited in place). */
  readonly corrupt: string[];
  /** Files placed per checkout mode. */
  readonly modesUsed: Readonly<Record<CheckoutMode, number>>;
}

interface Candidate {
  readonly item: CheckoutItem;
  readonly info: HashInfo;
  /** The state dir whose hash cache checks the workspace copy. */
  readonly stateDir: string;
}

/**
 * Restores stage outputs (from the hashes in each stage's lock file, at the
 * store path) and tracked paths (from their `.pvt`) out of the cache.
 *
 * @throws {PivotError} when both `force` and `onlyMissing` are set, or a target is unknown
 */
export async function checkoutOutputs(
  project: Project,
  options: CheckoutOptions,
): Promise<CheckoutReport> {
  const { targets, modes, force = false, onlyMissing = false, warn } = options;
  if (force && onlyMissing) {
    throw new PivotError("--force and --only-missing cannot be used together", {
      hint: "--only-missing leaves existing files alone; --force overwrites them",
    });
  }
  // gc must not remove a blob while checkout counts on it (to replace a file it holds).
  using _cache = await holdCacheForWriting(project.root, { warn });
  const report: CheckoutReport = {
    restored: [],
    upToDate: [],
    skipped: [],
    modified: [],
    missing: [],
    notRun: [],
    notCached: [],
    problems: [],
    corrupt: [],
    modesUsed: { hardlink: 0, symlink: 0, copy: 0 },
  };
  const candidates = await collect(project, targets, report, warn);
  const cache = openContentCache(project.root, project.config);
  const placer = new Placer(modes);
  const dbs = new StateDbs(warn);
  const hashers = new Map<string, FileHasher>();
  const projectHasher = new FileHasher(await dbs.get(path.join(project.root, ".pivot")));
  hashers.set(path.join(project.root, ".pivot"), projectHasher);
  cache.useVerifier(projectHasher);
  try {
    for (const candidate of candidates) {
      let hasher = hashers.get(candidate.stateDir);
      if (hasher === undefined) {
        hasher = new FileHasher(await dbs.get(candidate.stateDir));
        hashers.set(candidate.stateDir, hasher);
      }
      const outcome = await checkoutOne(cache, candidate, placer, hasher, force, onlyMissing);
      report[outcome].push(candidate.item);
    }
    for (const hasher of hashers.values()) hasher.flush();
  } finally {
    await dbs.close();
  }
  Object.assign(report.modesUsed, placer.used);
  report.corrupt.push(...cache.quarantined);
  return report;
}

async function checkoutOne(
  cache: ContentCache,
  { item, info }: Candidate,
  placer: Placer,
  hasher: FileHasher,
  force: boolean,
  onlyMissing: boolean,
): Promise<"restored" | "upToDate" | "skipped" | "modified" | "missing"> {
  // A dangling symlink (its blob gone) counts as absent.
  const present = await statOrNull(item.path);
  if (present !== null) {
    if (onlyMissing) return "skipped";
    if (present.isDirectory === isDirHash(info)) {
      const current = await hasher.hashPath(item.path, present);
      if (current.hash === info.hash) {
        // A link where the only mode asked for is a copy is turned into a copy.
        const linked = !isDirHash(info) && isLinkedToBlob(item.path, cache.blobPath(info.hash));
        if (!linked || placer.modes[0] !== "copy") return "upToDate";
        return (await restoreFile(cache, info.hash, item.path, placer)) === null
          ? "missing"
          : "restored";
      }
    }
    if (!force) return "modified";
    // A hardlink to the blob holding other content means the blob itself was
    // edited (as root, read-only modes do not stop that): it cannot be trusted.
    if (!isDirHash(info) && isLinkedToBlob(item.path, cache.blobPath(info.hash), false)) {
      cache.quarantine(info.hash);
      return "missing";
    }
  }
  if (isDirHash(info)) {
    const result = await restoreDirectory(cache, info.manifest, item.path, placer);
    return result.restored ? "restored" : "missing";
  }
  return (await restoreFile(cache, info.hash, item.path, placer)) === null ? "missing" : "restored";
}

async function collect(
  project: Project,
  targets: readonly string[],
  report: CheckoutReport,
  warn: (message: string) => void,
): Promise<Candidate[]> {
  const byPath = new Map<string, Candidate>();
  const add = (candidate: Candidate) => {
    if (!byPath.has(candidate.item.path)) byPath.set(candidate.item.path, candidate);
  };
  const projectState = path.join(project.root, ".pivot");
  const addTracked = async (pvt: string, targeted: boolean) => {
    try {
      const record = await readPvtFile(pvt, relativePosix(project.cwd, pvt));
      if (record === null) return;
      const dataPath = dataPathFor(pvt);
      const isDir = isDirHash(record.info);
      const rel = relativePosix(project.root, dataPath);
      add({
        item: { label: isDir ? `${rel}/` : rel, path: dataPath, isDir },
        info: record.info,
        stateDir: projectState,
      });
    } catch (error) {
      if (targeted || !(error instanceof PivotError)) throw error;
      report.problems.push(error.message);
    }
  };
  if (targets.length === 0) {
    for (const stage of project.dag.order) addStage(project, stage, null, false);
    for (const pvt of scanProjectFiles(project.root).pvtFiles) await addTracked(pvt, false);
  } else {
    for (const text of targets) {
      const target = await resolveTarget(project, text);
      if (target.kind === "tracked") await addTracked(target.pvt, true);
      else addStage(project, target.stage, target.key, true);
    }
  }
  return [...byPath.values()];

  function addStage(
    project: Project,
    stageName: string,
    key: string | null,
    targeted: boolean,
  ): void {
    const stage = project.dag.stages.get(stageName)!;
    const { def } = stage;
    const outputs = stageOutputs(project.store, stage).filter((out) =>
      key === null || out.key === key
    );
    const wanted = outputs.filter((out) => {
      const cached = def.outs.find((spec) => spec.key === out.key)?.cache ?? false;
      if (!cached && targeted && key !== null) report.notCached.push(out.identity);
      return cached;
    });
    if (wanted.length === 0) return;
    const lockFile = lockFilePath(def);
    const lock = readLockFile(lockFile, {
      warn,
      display: relativePosix(project.root, lockFile),
      expect: { stage: def.name, pipeline: def.pipeline },
    });
    for (const out of wanted) {
      const recorded = lock?.outs.find((entry) => entry.key === out.key);
      if (recorded === undefined || (recorded.manifest !== undefined) !== out.isDir) {
        if (!report.notRun.includes(stageName)) report.notRun.push(stageName);
        continue;
      }
      const info: HashInfo = recorded.manifest === undefined
        ? { hash: recorded.hash }
        : { hash: recorded.hash, manifest: recorded.manifest };
      add({ item: itemFor(project, out), info, stateDir: def.stateDir });
    }
  }
}

function itemFor(project: Project, out: ProjectOutput): CheckoutItem {
  return {
    label: `${out.identity} → ${project.store.displayPath(out.path, out.isDir)}`,
    path: out.path,
    isDir: out.isDir,
  };
}
