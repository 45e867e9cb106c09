/**
 * The project as committed at a git revision: its files, lock files and
 * `.pvt` files, read through git and validated like their workspace copies.
 *
 * @module
 */
import * as path from "node:path";
import { GitRepo, type GitTreeFile } from "../git/mod.ts";
import { PIPELINE_FILE_NAMES } from "../pipeline/find_pipeline_file.ts";
import {
  type LockedStage,
  lockFilePath,
  parsePvt,
  PVT_SUFFIX,
  type PvtRecord,
  readLockText,
  type StageLock,
} from "../storage/mod.ts";
import { PivotError } from "../util/errors.ts";
import { relativePosix } from "../util/paths.ts";
import { TRACKING_SKIPPED_DIRECTORIES } from "./scan_project_files.ts";

/** `<dir>/.pivot/stages/<pipeline>/<stage>.lock`, project-relative. */
const LOCK_PATH = /(^|\/)\.pivot\/stages\/[^/]+\/[^/]+\.lock$/;

/** Options for {@linkcode ProjectRevision.open}. */
export interface OpenRevisionOptions {
  /** Told about each malformed lock file (it then reads as absent). */
  warn: (message: string) => void;
  /** The repository, when the caller has it open already. @default {the one holding `root`} */
  repo?: GitRepo;
}

/**
 * The project at `root` as committed in one git revision. Paths are
 * project-relative and `/`-separated (the project may be a subdirectory of
 * the repository); only regular files count, symlinks and submodules do not.
 */
export class ProjectRevision {
  /** The revision as the user gave it (`HEAD~1`). */
  readonly rev: string;
  /** The full commit id it resolved to. */
  readonly commit: string;
  /** The project root in the workspace (absolute). */
  readonly root: string;
  /** The repository. */
  readonly repo: GitRepo;
  /** The project root relative to the top level: `""` or `sub/dir/`. */
  readonly #prefix: string;
  /** Project-relative paths of the files at this revision, sorted. */
  readonly #files: readonly string[];
  readonly #fileSet: ReadonlySet<string>;
  readonly #executables: ReadonlySet<string>;
  readonly #warn: (message: string) => void;

  private constructor(
    fields: { rev: string; commit: string; root: string; repo: GitRepo; prefix: string },
    files: readonly GitTreeFile[],
    warn: (message: string) => void,
  ) {
    this.rev = fields.rev;
    this.commit = fields.commit;
    this.root = fields.root;
    this.repo = fields.repo;
    this.#prefix = fields.prefix;
    this.#files = files.map((file) => file.path);
    this.#fileSet = new Set(this.#files);
    this.#executables = new Set(
      files.filter((file) => file.mode === "100755").map((file) => file.path),
    );
    this.#warn = warn;
  }

  /**
   * Resolves `rev` (anything `git rev-parse` accepts) in the repository that
   * holds the project at `root`, and lists the project's files there.
   *
   * @throws {PivotError} when the project is not in git, the repository has no commits, or `rev` is unknown
   */
  static async open(
    root: string,
    rev: string,
    options: OpenRevisionOptions,
  ): Promise<ProjectRevision> {
    const repo = options.repo ?? await GitRepo.open(root);
    const commit = await repo.resolveCommit(rev);
    const inside = relativePosix(repo.topLevel, await Deno.realPath(root));
    if (inside === ".." || inside.startsWith("../") || path.isAbsolute(inside)) {
      throw new PivotError(`the project ${root} is not inside the git repository ${repo.topLevel}`);
    }
    const prefix = inside === "." ? "" : `${inside}/`;
    const files = (await repo.listFiles(commit, prefix)).map((file) => ({
      path: file.path.slice(prefix.length),
      mode: file.mode,
    }));
    return new ProjectRevision({ rev, commit, root, repo, prefix }, files, options.warn);
  }

  /** The commit id abbreviated to 7 characters, as `git log --oneline` shows it. */
  get shortCommit(): string {
    return this.commit.slice(0, 7);
  }

  /** Every file of the project at this revision (project-relative, sorted). */
  files(): readonly string[] {
    return this.#files;
  }

  /** True when `rel` (project-relative) is a file at this revision. */
  has(rel: string): boolean {
    return this.#fileSet.has(rel);
  }

  /** True when `rel` (project-relative) is an executable file at this revision. */
  isExecutable(rel: string): boolean {
    return this.#executables.has(rel);
  }

  /** The project-relative path of `absolute`, a path in the workspace project. */
  relative(absolute: string): string {
    return relativePosix(this.root, absolute);
  }

  /** How messages name `rel` at this revision: `data/x.json at HEAD~1`. */
  display(rel: string): string {
    return `${rel} at ${this.rev}`;
  }

  /**
   * The contents of those of `rels` (project-relative) that are files at this
   * revision, read by one git process.
   */
  async readFiles(rels: readonly string[]): Promise<Map<string, Uint8Array>> {
    const present = [...new Set(rels)].filter((rel) => this.#fileSet.has(rel));
    const read = await this.repo.readFiles(this.commit, present.map((rel) => this.#prefix + rel));
    const files = new Map<string, Uint8Array>();
    for (const rel of present) {
      const content = read.get(this.#prefix + rel);
      if (content !== undefined) files.set(rel, content);
    }
    return files;
  }

  /** The content of `rel` at this revision, or `null` when it is not a file there. */
  async readFile(rel: string): Promise<Uint8Array | null> {
    return (await this.readFiles([rel])).get(rel) ?? null;
  }

  /** Every lock file at this revision, in every state dir of the project (project-relative). */
  lockFiles(): string[] {
    return this.#files.filter(isLockFilePath);
  }

  /** Every `.pvt` file at this revision (project-relative). */
  pvtFiles(): string[] {
    return this.#files.filter(isPvtFilePath);
  }

  /** Every pipeline file at this revision (`pivot.yaml`, `pivot.yml`, `pipeline.ts`). */
  pipelineFiles(): string[] {
    return this.#files.filter((rel) =>
      (PIPELINE_FILE_NAMES as readonly string[]).includes(path.posix.basename(rel)) &&
      !skipped(rel)
    );
  }

  /**
   * The validated locks at `rels` (project-relative lock paths). A malformed
   * lock is left out after a warning naming it, as in the workspace.
   */
  async readLocks(rels: readonly string[]): Promise<Map<string, StageLock>> {
    const locks = new Map<string, StageLock>();
    for (const [rel, content] of await this.readFiles(rels)) {
      const lock = await readLockText(new TextDecoder().decode(content), {
        warn: this.#warn,
        display: this.display(rel),
      });
      if (lock !== null) locks.set(rel, lock);
    }
    return locks;
  }

  /**
   * Each stage's lock at this revision (by the stage's lock path in the
   * workspace), or `null` when it had none or it is malformed or belongs to
   * another stage.
   */
  async locksFor<S extends LockedStage>(stages: readonly S[]): Promise<Map<S, StageLock | null>> {
    const paths = new Map(stages.map((stage) => [stage, this.relative(lockFilePath(stage))]));
    const texts = await this.readFiles([...paths.values()]);
    const locks = new Map<S, StageLock | null>();
    for (const [stage, rel] of paths) {
      const content = texts.get(rel);
      locks.set(
        stage,
        content === undefined ? null : await readLockText(new TextDecoder().decode(content), {
          warn: this.#warn,
          display: this.display(rel),
          expect: { stage: stage.name, pipeline: stage.pipeline },
        }),
      );
    }
    return locks;
  }

  /**
   * The validated `.pvt` records at `rels` (project-relative `.pvt` paths
   * that exist at this revision).
   *
   * @throws {PivotError} naming the first malformed one
   */
  async readPvtFiles(rels: readonly string[]): Promise<Map<string, PvtRecord>> {
    const records = new Map<string, PvtRecord>();
    for (const [rel, content] of await this.readFiles(rels)) {
      try {
        records.set(rel, await parsePvt(new TextDecoder().decode(content), rel));
      } catch (error) {
        if (!(error instanceof PivotError)) throw error;
        throw new PivotError(`malformed tracking file ${this.display(rel)}: ${error.message}`);
      }
    }
    return records;
  }
}

/**
 * True when the project-relative path `rel` is where a lock file lives:
 * `<dir>/.pivot/stages/<pipeline>/<stage>.lock`, outside the directories
 * the workspace scans skip.
 */
export function isLockFilePath(rel: string): boolean {
  return LOCK_PATH.test(rel) && !skipped(rel.replace(LOCK_PATH, "$1x"));
}

/** True when the project-relative path `rel` is a `.pvt` file the workspace scans would find. */
export function isPvtFilePath(rel: string): boolean {
  return rel.endsWith(PVT_SUFFIX) && path.posix.basename(rel) !== PVT_SUFFIX && !skipped(rel);
}

/** True for paths inside directories the workspace scans skip (`node_modules`, …). */
function skipped(rel: string): boolean {
  const dirs = rel.split("/").slice(0, -1);
  return dirs.some((dir) => TRACKING_SKIPPED_DIRECTORIES.has(dir));
}
