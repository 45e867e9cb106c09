import * as path from "node:path";
import { type Project, resolveTarget, scanProjectFiles } from "../project/mod.ts";
import {
  dataPathFor,
  type HashInfo,
  isDirHash,
  lockFilePath,
  type LockOut,
  readLockFile,
  readPvtFile,
} from "../storage/mod.ts";
import { PivotError } from "../util/errors.ts";
import { existsSync } from "../util/fs.ts";
import { relativePosix } from "../util/paths.ts";

/** A stage whose lock a selection read (for its run-cache entries). */
export interface SelectedStage {
  /** DAG name. */
  readonly name: string;
  /** Run-cache key: `<home pipeline>/<own name>`. */
  readonly key: string;
  /** Its state dir. */
  readonly stateDir: string;
  /** Every output its lock records (cached or not), or `null` when it has no lock. */
  readonly outs: readonly LockOut[] | null;
  /** Selected as a whole (not just some of its outputs): its run-cache entries go along. */
  whole: boolean;
}

/** The blobs of one recorded output, input or tracked path. */
export interface BlobGroup {
  /** `train:model → data/ml/train/model.json` (a directory's ends in `/`), or a tracked path. */
  readonly label: string;
  readonly kind: "output" | "input" | "tracked";
  /** Its file blobs (a directory's manifest entries; none for an empty directory). */
  readonly hashes: readonly string[];
}

/** The file blobs some targets reference. */
export interface BlobSelection {
  /** Hash → what it is (`train:model → data/ml/train/model.json`); first label wins. */
  readonly blobs: Map<string, string>;
  /** The same blobs by what references them, in selection order (a blob may be in several). */
  readonly groups: BlobGroup[];
  /** Every stage selected, with what its lock records. */
  readonly stages: SelectedStage[];
  /** Targeted stages with nothing recorded (no lock, or no such output in it). */
  readonly notRun: string[];
  /** Targeted outputs that are not cached (`cache: false`). */
  readonly notCached: string[];
  /** Tracking files that could not be read (when not targeted). */
  readonly problems: string[];
}

/** Options for {@linkcode selectBlobs}. */
export interface SelectBlobsOptions {
  /** Identities and tracked paths; empty: every stage of the project and every `.pvt`. */
  readonly targets: readonly string[];
  /**
   * Also the inputs recorded in the targets' locks: stage outputs and
   * tracked files (plain source files come from git, not a remote). @default {false}
   */
  readonly includeDeps?: boolean;
  /** Told about malformed lock files. */
  readonly warn: (message: string) => void;
}

/**
 * The file blobs `targets` reference, from the lock files of stages (their
 * cached outputs, and with `includeDeps` their inputs) and from `.pvt` files
 * — never a directory's tree hash, only its manifest's files.
 *
 * @throws {PivotError} on an unknown target or an unreadable targeted `.pvt`
 */
export async function selectBlobs(
  project: Project,
  options: SelectBlobsOptions,
): Promise<BlobSelection> {
  const { targets, includeDeps = false, warn } = options;
  const selection: BlobSelection = {
    blobs: new Map(),
    groups: [],
    stages: [],
    notRun: [],
    notCached: [],
    problems: [],
  };
  const add = (info: HashInfo, label: string, kind: BlobGroup["kind"]) => {
    selection.groups.push({
      label,
      kind,
      hashes: isDirHash(info) ? info.manifest.map((entry) => entry.hash) : [info.hash],
    });
    if (!isDirHash(info)) {
      if (!selection.blobs.has(info.hash)) selection.blobs.set(info.hash, label);
      return;
    }
    for (const entry of info.manifest) {
      if (!selection.blobs.has(entry.hash)) {
        selection.blobs.set(
          entry.hash,
          `${label}${label.endsWith("/") ? "" : "/"}${entry.relpath}`,
        );
      }
    }
  };
  const stagesRead = new Map<string, SelectedStage>();
  const readStage = async (name: string): Promise<SelectedStage> => {
    if (stagesRead.has(name)) return stagesRead.get(name)!;
    const { def } = project.dag.stages.get(name)!;
    const file = lockFilePath(def);
    const lock = await readLockFile(file, {
      warn,
      display: relativePosix(project.root, file),
      expect: { stage: def.name, pipeline: def.pipeline },
    });
    const stage = {
      name,
      key: `${def.pipeline}/${def.name}`,
      stateDir: def.stateDir,
      outs: lock?.outs ?? null,
      whole: false,
    };
    stagesRead.set(name, stage);
    selection.stages.push(stage);
    if (lock !== null && includeDeps) {
      for (const dep of lock.deps) {
        const tracked = existsSync(`${path.join(project.root, dep.path)}.pvt`);
        if (dep.identity === null && !tracked) continue;
        add(
          dep.manifest === undefined ? dep : { hash: dep.hash, manifest: dep.manifest },
          `${dep.path}${dep.manifest === undefined ? "" : "/"} (input of ${name})`,
          "input",
        );
      }
    }
    return stage;
  };
  const addStage = async (name: string, key: string | null, targeted: boolean) => {
    const stage = await readStage(name);
    if (key === null) stage.whole = true;
    const { def } = project.dag.stages.get(name)!;
    const keys = def.outs.map((out) => out.key).filter((k) => key === null || k === key);
    for (const outKey of keys) {
      const identity = outKey === null ? name : `${name}:${outKey}`;
      const recorded = stage.outs?.find((out) => out.key === outKey);
      if (recorded === undefined) {
        if (targeted && !selection.notRun.includes(name)) selection.notRun.push(name);
        continue;
      }
      if (!recorded.cache) {
        if (targeted && key !== null) selection.notCached.push(identity);
        continue;
      }
      const shown = `${recorded.path}${recorded.manifest === undefined ? "" : "/"}`;
      add(
        recorded.manifest === undefined
          ? recorded
          : { hash: recorded.hash, manifest: recorded.manifest },
        `${identity} → ${shown}`,
        "output",
      );
    }
  };
  const addTracked = async (pvt: string, targeted: boolean) => {
    try {
      const record = await readPvtFile(pvt, relativePosix(project.cwd, pvt));
      if (record === null) return;
      const rel = relativePosix(project.root, dataPathFor(pvt));
      add(record.info, isDirHash(record.info) ? `${rel}/` : rel, "tracked");
    } catch (error) {
      if (targeted || !(error instanceof PivotError)) throw error;
      selection.problems.push(error.message);
    }
  };
  if (targets.length === 0) {
    for (const name of project.dag.order) await addStage(name, null, false);
    for (const pvt of scanProjectFiles(project.root).pvtFiles) await addTracked(pvt, false);
    return selection;
  }
  for (const text of targets) {
    const target = await resolveTarget(project, text);
    if (target.kind === "tracked") await addTracked(target.pvt, true);
    else for (const name of target.stages) await addStage(name, target.key, true);
  }
  return selection;
}
