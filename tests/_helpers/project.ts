/**
 * Temporary projects for tests: `await using p = await makeProject({...})`
 * writes the files into a fresh directory with `.pivot/` and removes it on
 * dispose; `nestedProject()` puts the project one level down. Also: running
 * the CLI in a project (`runPivot`) and checking what it printed.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { tree } from "./files.ts";

/** Where `main.ts` lives, for spawning the CLI. */
export const MAIN = path.resolve(import.meta.dirname!, "../../main.ts");

/** A temporary project directory. */
export interface TempProject extends AsyncDisposable {
  /** Absolute (real) path of the project root. */
  readonly root: string;
  /** Absolute path of `rel` inside the project. */
  path(rel: string): string;
  /** Writes `content` to `rel`, creating directories. */
  write(rel: string, content: string): Promise<void>;
  /** Reads `rel` as text. */
  read(rel: string): Promise<string>;
  /** True when `rel` exists. */
  exists(rel: string): Promise<boolean>;
}

/** Options for {@linkcode makeProject}. */
export interface MakeProjectOptions {
  /** Create `.pivot/` at the root. @default {true} */
  init?: boolean;
}

/** Creates a temporary project holding `files` (relative path → content). */
export async function makeProject(
  files: Record<string, string> = {},
  options: MakeProjectOptions = {},
): Promise<TempProject> {
  const { init = true } = options;
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "pivot_test_" }));
  const project: TempProject = {
    root,
    path: (rel) => path.join(root, rel),
    write: async (rel, content) => {
      await Deno.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
      await Deno.writeTextFile(path.join(root, rel), content);
    },
    read: (rel) => Deno.readTextFile(path.join(root, rel)),
    exists: async (rel) => {
      try {
        await Deno.lstat(path.join(root, rel));
        return true;
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return false;
        throw error;
      }
    },
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
  if (init) await Deno.mkdir(path.join(root, ".pivot"));
  for (const [rel, content] of Object.entries(files)) await project.write(rel, content);
  return project;
}

/**
 * Makes a fixture that is slow to build (a git history, runs) cheap to use in
 * every test of a file: the first call runs `build`, and every call returns
 * a fresh copy of what it built (`cp -a`: hard links into the cache, modes
 * and times kept), which the test owns and disposes of. The built original
 * is removed when the test file's module unloads.
 */
export function copiedFixture(build: () => Promise<TempProject>): () => Promise<TempProject> {
  let built: Promise<TempProject> | undefined;
  return async () => {
    if (built === undefined) {
      built = build();
      const original = await built;
      globalThis.addEventListener("unload", () => {
        Deno.removeSync(original.root, { recursive: true });
      });
    }
    const original = await built;
    const copy = await makeProject({}, { init: false });
    const cp = await new Deno.Command("cp", {
      args: ["-a", `${original.root}/.`, copy.root],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.ok(cp.success, new TextDecoder().decode(cp.stderr));
    return copy;
  };
}

/** A project at `<tmp>/proj`, inside a temporary directory that removes itself. */
export interface NestedProject {
  /** The temporary directory around the project; dispose of it to remove both. */
  readonly outer: TempProject;
  /** Absolute path of the project root, `<outer>/proj` (it holds `.pivot/`). */
  readonly root: string;
}

/**
 * Creates a project at `<tmp>/proj` holding `files` (paths relative to the
 * project), with `outside` (paths relative to `<tmp>`) beside it, so that
 * escapes from the project are visible.
 */
export async function nestedProject(
  files: Record<string, string>,
  outside: Record<string, string> = {},
): Promise<NestedProject> {
  const outer = await makeProject({
    ...outside,
    ...Object.fromEntries(Object.entries(files).map(([rel, text]) => [`proj/${rel}`, text])),
  }, { init: false });
  await Deno.mkdir(outer.path("proj/.pivot"), { recursive: true });
  return { outer, root: outer.path("proj") };
}

/**
 * A `pivot.yaml` of pipeline `ml` whose `stages` (default just `train`) each run
 * `true` and declare `outs` (default one json output `model`).
 */
export function pipelineYaml(outs = "{model: json}", stages = ["train"]): string {
  return [
    "pipeline: ml",
    "stages:",
    ...stages.flatMap((name) => [`  ${name}:`, '    cmd: "true"', `    outs: ${outs}`]),
    "",
  ].join("\n");
}

/**
 * {@linkcode tree} of `dir` without the state dir's own files (its hash cache
 * and `.gitignore` may be created by any command).
 */
export function treeWithoutStateDb(dir: string): string[] {
  return tree(dir).filter((rel) => !/\.pivot\/(state\.db|\.gitignore)/.test(rel));
}

/** What a CLI run printed and returned. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options for {@linkcode pivotCommand}: those of `Deno.Command`, and what runs pivot. */
export interface PivotCommandOptions extends Deno.CommandOptions {
  /** The command line that runs pivot (a bundle's, a compiled pivot). @default {`deno run -A --quiet main.ts`} */
  program?: readonly string[];
}

/**
 * The command `deno run -A main.ts ...args` in `cwd`, with `NO_COLOR=1`, no
 * stdin and piped stdout and stderr; `options` adds to or replaces those.
 */
export function pivotCommand(
  cwd: string,
  args: readonly string[],
  options: PivotCommandOptions = {},
): Deno.Command {
  const { program = [Deno.execPath(), "run", "-A", "--quiet", MAIN], ...rest } = options;
  return new Deno.Command(program[0]!, {
    args: [...program.slice(1), ...args],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...rest,
    env: { NO_COLOR: "1", ...rest.env },
  });
}

/** Runs `deno run -A main.ts ...args` in `cwd`, as a user would. */
export async function runPivot(
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const output = await pivotCommand(cwd, args, { env }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Asserts that a CLI run failed with exit code 1, printed nothing and wrote exactly `stderr`. */
export function assertFailed(result: CliResult, stderr: string): void {
  assert.equal(result.code, 1);
  assert.equal(result.stdout, "");
  assert.equal(result.stderr, stderr);
}

/** Asserts a usage error: exit code 2, nothing on stdout and exactly `stderr`. */
export function assertUsage(result: CliResult, stderr: string): void {
  assert.deepEqual(result, { code: 2, stdout: "", stderr });
}
