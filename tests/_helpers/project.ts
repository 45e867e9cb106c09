/**
 * Temporary projects for tests: `await using p = await makeProject({...})`
 * writes the files into a fresh directory with `.pivot/` and removes it on
 * dispose.
 *
 * @module
 */
import * as path from "node:path";

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

/** What a CLI run printed and returned. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `deno run -A main.ts ...args` in `cwd`, as a user would. */
export async function runPivot(
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, ...args],
    cwd,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}
