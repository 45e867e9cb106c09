import * as path from "node:path";
import { findProjectRoot, scanPipelineFiles } from "../discovery/mod.ts";
import { sentinelHolder, TAKEOVER_LOCK } from "../engine/running_sentinel.ts";
import { loadParamsFile, loadPipelineFile, type PlainObject } from "../pipeline/mod.ts";
import {
  cacheDirFor,
  checkoutModes,
  type Config,
  listLockFiles,
  loadConfig,
  locksUnderOtherName,
  locksUnderOtherNameWarning,
  openProject,
  paramsOverridesFile,
  type Project,
  scanProjectFiles,
} from "../project/mod.ts";
import {
  checkStateDbFile,
  ContentCache,
  isDirHash,
  linkedBucketRefusal,
  lockFilePath,
  parseLock,
  parsePvt,
} from "../storage/mod.ts";
import { type EnvReader, processEnv } from "../util/env_reader.ts";
import { PivotError } from "../util/errors.ts";
import { existsSync, statOrNullSync } from "../util/fs.ts";
import { relativePosix } from "../util/paths.ts";
import { shellQuote } from "../util/shell_quote.ts";
import { readRecordText } from "./_read_record.ts";

/** The result of one check. */
export interface DoctorCheck {
  /** What was checked (`deno`, `cache`, `pipeline ml/pivot.yaml`). */
  readonly name: string;
  /** False when something is wrong (a warning is not). */
  readonly ok: boolean;
  /** `ok`, `warning` (works, but worth fixing) or `error`. */
  readonly status: "ok" | "warning" | "error";
  /** What was found. */
  readonly detail: string;
  /** What to do, or `null`. */
  readonly fix: string | null;
}

/** Options for {@linkcode runDoctor}. */
export interface DoctorOptions {
  /** The environment variables the command sees (config and cache locations). @default {processEnv} */
  env?: EnvReader;
  /** Check the configured remotes too. @default {false} */
  remote?: boolean;
}

/** The oldest Deno pivot runs on. */
export const MIN_DENO = [2, 9, 0] as const;

/** What the project checks share, found once. */
interface DoctorContext {
  readonly root: string;
  readonly config: Config;
  readonly env: EnvReader;
}

/** A check of the project: one or more results. */
type ProjectCheck = (ctx: DoctorContext) => DoctorCheck[] | Promise<DoctorCheck[]>;

const ok = (name: string, detail: string): DoctorCheck => ({
  name,
  ok: true,
  status: "ok",
  detail,
  fix: null,
});
const warning = (name: string, detail: string, fix: string): DoctorCheck => ({
  name,
  ok: true,
  status: "warning",
  detail,
  fix,
});
const error = (name: string, detail: string, fix: string | null): DoctorCheck => ({
  name,
  ok: false,
  status: "error",
  detail,
  fix,
});

/** The project checks, in order (`--remote` adds {@linkcode remoteChecks}). */
const PROJECT_CHECKS: readonly ProjectCheck[] = [
  checkStateDbs,
  checkPipelines,
  checkCacheWritable,
  checkCacheFilesystem,
  checkSentinels,
  checkCacheContent,
];

/**
 * Checks the installation and the project in `cwd` and says how to fix what
 * is wrong: Deno's version, the project root and config, every pipeline file,
 * the cache (writable, on the workspace's filesystem), each `state.db`, stale
 * `.running` sentinels, lock and `.pvt` files whose content is missing from
 * the cache, and git; with `remote`, the remotes. Nothing in the project is
 * changed (a temporary file is written to and removed from the cache
 * directory, and loading the pipelines may refresh the parse cache).
 */
export async function runDoctor(cwd: string, options: DoctorOptions = {}): Promise<DoctorCheck[]> {
  const { remote = false, env = processEnv } = options;
  const checks: DoctorCheck[] = [checkDeno()];
  let root: string | null = null;
  try {
    root = findProjectRoot(cwd);
    checks.push(ok("project", root));
  } catch (cause) {
    if (!(cause instanceof PivotError)) throw cause;
    checks.push(error("project", cause.message, "run 'pivot init' in the project's top directory"));
  }
  let config: Config | null = null;
  if (root !== null) {
    const file = path.join(root, ".pivot", "config.yaml");
    try {
      config = await loadConfig(root, env);
      checks.push(
        ok("config", existsSync(file) ? ".pivot/config.yaml" : "defaults (no .pivot/config.yaml)"),
      );
    } catch (cause) {
      if (!(cause instanceof PivotError)) throw cause;
      checks.push(error("config", cause.message, "fix or remove the setting named"));
    }
  }
  if (root !== null && config !== null) {
    const ctx = { root, config, env };
    for (const check of PROJECT_CHECKS) checks.push(...(await check(ctx)));
    if (remote) checks.push(...remoteChecks(config));
  }
  checks.push(...checkGit(root ?? cwd));
  return checks;
}

function checkDeno(): DoctorCheck {
  const version = Deno.version.deno;
  const parts = version.split(/[.-]/).map((part) => Number.parseInt(part, 10));
  const tooOld = MIN_DENO.some((min, i) => {
    const same = MIN_DENO.slice(0, i).every((m, j) => parts[j] === m);
    return same && (parts[i] ?? 0) < min;
  });
  return tooOld
    ? error("deno", `Deno ${version}`, `install Deno ${MIN_DENO.join(".")} or newer`)
    : ok("deno", `Deno ${version}`);
}

async function checkPipelines({ root, config, env }: DoctorContext): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  let overrides: Record<string, PlainObject> = {};
  const paramsFile = paramsOverridesFile(root, config);
  try {
    overrides = await loadParamsFile(root, paramsFile);
  } catch (cause) {
    if (!(cause instanceof PivotError)) throw cause;
    checks.push(error("params", cause.message, cause.hint ?? "fix the file"));
  }
  const files = await scanPipelineFiles(root);
  let stages = 0;
  let broken = 0;
  for (const file of files) {
    try {
      stages += (await loadPipelineFile(file, {
        projectRoot: root,
        paramsOverrides: overrides,
        paramsFile,
      })).stages.length;
    } catch (cause) {
      if (!(cause instanceof PivotError)) throw cause;
      broken++;
      checks.push(
        error(`pipeline ${relativePosix(root, file)}`, cause.message, cause.hint ?? "fix the file"),
      );
    }
  }
  if (files.length === 0) {
    checks.push(
      warning(
        "pipelines",
        "no pipeline file in the project",
        "write a pivot.yaml, or run 'pivot init --example'",
      ),
    );
  } else if (broken === 0 && checks.length === 0) {
    if (!stateDbSound(path.join(root, ".pivot", "state.db"))) {
      // Opening the project would move the damaged database aside.
      return [
        ok(
          "pipelines",
          `${files.length} pipeline file(s), ${stages} stage(s) (not checked together while .pivot/state.db is damaged)`,
        ),
      ];
    }
    try {
      // Loaded together: names, outputs and dependencies across pipelines.
      const project = await openProject({ cwd: root, all: true, env });
      checks.push(ok("pipelines", `${files.length} pipeline file(s), ${stages} stage(s)`));
      checks.push(...checkOrphanLocks(root, project));
    } catch (cause) {
      if (!(cause instanceof PivotError)) throw cause;
      checks.push(error("pipelines", cause.message, cause.hint ?? "fix the pipelines named"));
    }
  }
  return checks;
}

/**
 * Lock files of stages no pipeline declares any more (a stage renamed or
 * removed, a matrix value dropped): nothing reads them, and `gc` keeps the
 * content they record.
 */
function checkOrphanLocks(root: string, project: Project): DoctorCheck[] {
  const declared = new Set([...project.dag.stages.values()].map(({ def }) => lockFilePath(def)));
  const renamed = locksUnderOtherName(project.discovery.pipelines);
  // The lock files of a pipeline that may be this one under another name are not to be removed.
  const ofRenamed = (file: string) =>
    renamed.some((found) => path.dirname(file) === path.join(found.stagesDir, found.recorded));
  const all = scanProjectFiles(root).stateDirs.flatMap(listLockFiles)
    .filter((file) => !declared.has(file));
  const orphans = all.filter((file) => !ofRenamed(file)).map((file) => relativePosix(root, file));
  const checks = renamed.map((found) =>
    warning(
      "lock files",
      locksUnderOtherNameWarning(found, root),
      `set 'pipeline: ${found.recorded}' in ${
        relativePosix(root, found.pipeline.file)
      } if it is that pipeline, else remove ${
        relativePosix(root, path.join(found.stagesDir, found.recorded))
      }/`,
    )
  );
  if (orphans.length === 0) return checks;
  const shown = orphans.length > 5 ? [...orphans.slice(0, 5), "…"] : orphans;
  return [
    ...checks,
    warning(
      "lock files",
      `${orphans.length} lock file(s) of stages no pipeline declares: ${shown.join(", ")}`,
      `if those stages are gone for good, remove the files in the project root (rm ${
        orphans.map(shellQuote).join(" ")
      }) and the outputs they name, commit that, then 'pivot gc' frees their cached content`,
    ),
  ];
}

/** The cache directory, or the nearest existing directory above it (where it would be created). */
function existingCacheDir(ctx: DoctorContext): string {
  let dir = cacheDirFor(ctx);
  while (!statOrNullSync(dir)?.isDirectory && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

function checkCacheWritable(ctx: DoctorContext): DoctorCheck[] {
  const cacheDir = cacheDirFor(ctx);
  const shown = relativePosix(ctx.root, cacheDir);
  const info = statOrNullSync(cacheDir);
  if (info !== null && !info.isDirectory) {
    return [
      error(
        "cache",
        `${shown} is not a directory`,
        "move that file away, or point cache.dir (or PIVOT_CACHE_DIR) at a directory",
      ),
    ];
  }
  const misplaced = filesInPlaceOfDirectories(cacheDir);
  if (misplaced.length > 0) {
    const shownFiles = misplaced.map((file) => relativePosix(ctx.root, file));
    return [
      error(
        "cache",
        `${shownFiles.join(", ")} ${
          misplaced.length === 1 ? "is a file" : "are files"
        } where the cache keeps directories of blobs`,
        `remove or rename ${misplaced.length === 1 ? "it" : "them"}: rm ${shownFiles.join(" ")}`,
      ),
    ];
  }
  const leadingOut = bucketsLeadingOut(cacheDir);
  if (leadingOut.length > 0) {
    const shownBuckets = leadingOut.map((bucket) => relativePosix(ctx.root, bucket));
    return [
      error(
        "cache",
        `${shownBuckets.join(", ")} ${
          leadingOut.length === 1 ? "is a symlink" : "are symlinks"
        } out of the cache: pivot refuses to write through ${
          leadingOut.length === 1 ? "it" : "them"
        }`,
        `remove ${leadingOut.length === 1 ? "it" : "them"} (rm ${
          shownBuckets.join(" ")
        }): pivot makes the directories again, and 'pivot checkout' or 'pivot pull' bring back what they held`,
      ),
    ];
  }
  const dir = existingCacheDir(ctx);
  const probe = path.join(dir, `.pivot-doctor-${crypto.randomUUID()}.tmp`);
  try {
    Deno.writeTextFileSync(probe, "");
    Deno.removeSync(probe);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    return [
      error(
        "cache",
        `${shown} is not writable: ${reason}`,
        `make ${
          relativePosix(ctx.root, dir)
        } writable for you, or move the cache (cache.dir in .pivot/config.yaml, or PIVOT_CACHE_DIR)`,
      ),
    ];
  }
  return [ok("cache", `${shown} is writable${dir === cacheDir ? "" : " (it will be created)"}`)];
}

const PLACED_AS = { hardlink: "hardlinks", symlink: "symlinks", copy: "copies" } as const;

/** The cache's `files/` and bucket directories (`files/ab`) that are something else. */
function filesInPlaceOfDirectories(cacheDir: string): string[] {
  const filesDir = path.join(cacheDir, "files");
  const info = statOrNullSync(filesDir);
  if (info === null) return [];
  if (!info.isDirectory) return [filesDir];
  return readDirOrEmpty(filesDir)
    .filter((entry) => /^[0-9a-f]{2}$/.test(entry.name))
    .map((entry) => path.join(filesDir, entry.name))
    .filter((bucket) => !statOrNullSync(bucket)?.isDirectory);
}

/**
 * The bucket directories of the cache (`files/ab`) that are symlinks the
 * content cache refuses to write through (see `linkedBucketRefusal`):
 * leading out of it, or nowhere.
 */
function bucketsLeadingOut(cacheDir: string): string[] {
  const filesDir = path.join(cacheDir, "files");
  return readDirOrEmpty(filesDir)
    .filter((entry) => entry.isSymlink && /^[0-9a-f]{2}$/.test(entry.name))
    .map((entry) => path.join(filesDir, entry.name))
    .filter((bucket) => {
      try {
        return linkedBucketRefusal(cacheDir, bucket) !== null;
      } catch {
        return true;
      }
    });
}

function checkCacheFilesystem(ctx: DoctorContext): DoctorCheck[] {
  // A cache that is a file is reported by the cache check; no mode can place anything from it.
  if (statOrNullSync(cacheDirFor(ctx))?.isDirectory === false) return [];
  const modes = checkoutModes(ctx.config);
  const sameDevice = statOrNullSync(existingCacheDir(ctx))?.dev === statOrNullSync(ctx.root)?.dev;
  const usable = sameDevice ? modes : modes.filter((mode) => mode !== "hardlink");
  const where = sameDevice
    ? "on the workspace's filesystem"
    : "on another filesystem than the workspace";
  if (usable.length === 0) {
    return [
      error(
        "checkout",
        `the cache is ${where} and cache.checkout_mode allows only hardlinks`,
        "add symlink or copy to cache.checkout_mode, or move the cache (cache.dir)",
      ),
    ];
  }
  const detail = `the cache is ${where}: outputs are placed as ${PLACED_AS[usable[0]!]}`;
  if (sameDevice || modes[0] !== "hardlink") return [ok("checkout", detail)];
  return [
    warning(
      "checkout",
      detail,
      "put the cache on the workspace's filesystem (cache.dir) so outputs can be hardlinked",
    ),
  ];
}

function checkStateDbs({ root }: DoctorContext): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  let good = 0;
  for (const stateDir of scanProjectFiles(root).stateDirs) {
    const file = path.join(stateDir, "state.db");
    if (!existsSync(file)) continue;
    const shown = relativePosix(root, file);
    const result = checkStateDbFile(file);
    if (result === "ok") good++;
    else {
      checks.push(
        error(
          `state ${shown}`,
          `damaged: ${result}`,
          `delete it (it holds only caches and history): rm ${shown}; pivot also moves a damaged one aside on its next run`,
        ),
      );
    }
  }
  if (checks.length === 0) checks.push(ok("state", `${good} state database(s) pass quick_check`));
  return checks;
}

/** True when `file` is absent or passes {@linkcode checkStateDbFile}. */
function stateDbSound(file: string): boolean {
  return !existsSync(file) || checkStateDbFile(file) === "ok";
}

function checkSentinels({ root }: DoctorContext): DoctorCheck[] {
  const stale: string[] = [];
  for (const stateDir of scanProjectFiles(root).stateDirs) {
    const stagesDir = path.join(stateDir, "stages");
    for (const pipeline of readDirOrEmpty(stagesDir)) {
      if (!pipeline.isDirectory) continue;
      for (const entry of readDirOrEmpty(path.join(stagesDir, pipeline.name))) {
        if (!entry.isFile || !entry.name.endsWith(".running")) continue;
        // The takeover lock is pivot's own and stays (see running_sentinel.ts).
        if (entry.name === TAKEOVER_LOCK) continue;
        const file = path.join(stagesDir, pipeline.name, entry.name);
        if (sentinelHolder(file) === null && existsSync(file)) {
          stale.push(relativePosix(root, file));
        }
      }
    }
  }
  if (stale.length === 0) return [ok("sentinels", "no stale .running sentinels")];
  return [
    warning(
      "sentinels",
      `${stale.length} .running sentinel(s) left by a process that is gone: ${stale.join(", ")}`,
      "the next run takes them over; or remove them: rm " + stale.join(" "),
    ),
  ];
}

async function checkCacheContent(ctx: DoctorContext): Promise<DoctorCheck[]> {
  const { root } = ctx;
  const cacheDir = cacheDirFor(ctx);
  if (statOrNullSync(cacheDir)?.isFile) return [];
  const cache = new ContentCache(cacheDir);
  const missing: string[] = [];
  const unreadable: string[] = [];
  const { stateDirs, pvtFiles } = scanProjectFiles(root);
  // A bucket that is a file (reported by the cache check) holds no blob.
  const lacks = (hashes: readonly string[]) =>
    hashes.filter((h) => !blobExists(cache.blobPath(h))).length;
  for (const file of stateDirs.flatMap(listLockFiles)) {
    try {
      const lock = await parseLock(await readRecordText(file));
      for (const out of lock.outs) {
        if (!out.cache) continue;
        const hashes = out.manifest === undefined ? [out.hash] : out.manifest.map((e) => e.hash);
        const absent = lacks(hashes);
        if (absent > 0) {
          missing.push(
            `${lock.stage}${out.key === null ? "" : `:${out.key}`} → ${out.path}${
              out.manifest === undefined ? "" : ` (${absent} of ${hashes.length} files)`
            }`,
          );
        }
      }
    } catch (cause) {
      if (!(cause instanceof PivotError)) throw cause;
      unreadable.push(`${relativePosix(root, file)}: ${cause.message}`);
    }
  }
  for (const file of pvtFiles) {
    try {
      const { info } = await parsePvt(await readRecordText(file), file);
      const hashes = isDirHash(info) ? info.manifest.map((e) => e.hash) : [info.hash];
      if (lacks(hashes) > 0) missing.push(`${relativePosix(root, file)}`);
    } catch (cause) {
      if (!(cause instanceof PivotError)) throw cause;
      unreadable.push(`${relativePosix(root, file)}: ${cause.message}`);
    }
  }
  const checks: DoctorCheck[] = [];
  if (unreadable.length > 0) {
    checks.push(
      error(
        "records",
        `cannot read: ${unreadable.join("; ")}`,
        "fix or delete those files (git can restore them)",
      ),
    );
  }
  if (missing.length > 0) {
    checks.push(
      error(
        "cache content",
        `${missing.length} recorded output(s) or tracked path(s) missing from the cache: ${
          missing.join(", ")
        }`,
        "'pivot repro' re-caches an output whose workspace copy still matches and re-runs the others; re-track a path with 'pivot track --force'",
      ),
    );
  } else checks.push(ok("cache content", "every lock and .pvt file's content is in the cache"));
  return checks;
}

/**
 * One check per configured remote (or one saying there are none). For now it
 * checks the URL's form; connecting belongs here once remotes exist.
 */
export function remoteChecks(config: Config): DoctorCheck[] {
  const remotes = config.sections["remotes"] ?? {};
  const names = Object.keys(remotes);
  if (names.length === 0) return [ok("remotes", "no remotes configured")];
  return names.map((name) => {
    const entry = remotes[name];
    const url = typeof entry === "string"
      ? entry
      : typeof (entry as PlainObject | undefined)?.["url"] === "string"
      ? (entry as PlainObject)["url"] as string
      : null;
    if (url === null) return error(`remote ${name}`, "no url", "give the remote a url");
    const valid = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(url) ||
      url.startsWith("file://") || url.startsWith("/") || url.startsWith(".");
    return valid
      ? ok(`remote ${name}`, `${url.replace(/\/\/[^@/]*@/, "//***@")} (not contacted)`)
      : error(
        `remote ${name}`,
        `'${url}' is not an s3:// URL or a directory`,
        "use s3://bucket/prefix or a directory path",
      );
  });
}

function checkGit(dir: string): DoctorCheck[] {
  const run = (args: string[]) => {
    try {
      const output = new Deno.Command("git", { args, cwd: dir, stdout: "piped", stderr: "null" })
        .outputSync();
      return output.success ? new TextDecoder().decode(output.stdout).trim() : null;
    } catch (cause) {
      if (cause instanceof Deno.errors.NotFound) return undefined;
      throw cause;
    }
  };
  const version = run(["--version"]);
  if (version === undefined || version === null) {
    return [
      warning(
        "git",
        "git is not installed",
        "install git: lock and .pvt files are meant to be committed, and comparisons with HEAD need it",
      ),
    ];
  }
  const top = run(["rev-parse", "--show-toplevel"]);
  return [
    ok("git", version),
    top === null || top === undefined
      ? warning(
        "git repository",
        "not in a git repository",
        "run 'git init' and commit the pipeline, lock and .pvt files",
      )
      : ok("git repository", top),
  ];
}

/** True when the blob file `blob` exists (false when its bucket is a file). */
function blobExists(blob: string): boolean {
  try {
    return existsSync(blob);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotADirectory) return false;
    throw cause;
  }
}

function readDirOrEmpty(dir: string): Deno.DirEntry[] {
  try {
    return [...Deno.readDirSync(dir)];
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound || cause instanceof Deno.errors.NotADirectory) {
      return [];
    }
    throw cause;
  }
}
