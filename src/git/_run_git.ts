import { PivotError } from "../util/errors.ts";

/** What one `git` run returned. */
export interface GitOutput {
  /** Exit status. */
  readonly code: number;
  /** Raw standard output. */
  readonly stdout: Uint8Array;
  /** Standard error as text. */
  readonly stderr: string;
}

/**
 * Runs `git args…` in `cwd`, feeding `input` to its standard input, and
 * returns what it printed. Messages are in English (`LC_ALL=C`) and git never
 * asks for credentials.
 *
 * @throws {PivotError} when the `git` executable cannot be started
 */
export async function runGit(
  cwd: string,
  args: readonly string[],
  input?: Uint8Array,
): Promise<GitOutput> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("git", {
      args: [...args],
      cwd,
      env: { LC_ALL: "C", GIT_TERMINAL_PROMPT: "0" },
      stdin: input === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new PivotError("cannot run git: the 'git' executable was not found", {
      hint: "install git (comparing with revisions reads them through git)",
    });
  }
  let writing: Promise<void> = Promise.resolve();
  if (input !== undefined) {
    const writer = child.stdin.getWriter();
    // Written while the output is read, so a large batch cannot fill both pipes.
    writing = writer.write(input).then(() => writer.close());
  }
  const output = await child.output();
  await writing.catch((error) => {
    // git may exit before reading everything (a bad revision); its status tells why.
    if (output.success) throw error;
  });
  return {
    code: output.code,
    stdout: output.stdout,
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/** git's first message line without its `fatal: ` / `error: ` prefix. */
export function gitMessage(stderr: string): string {
  const line = stderr.split("\n").find((text) => text.trim() !== "") ?? "git failed";
  return line.replace(/^(fatal|error): /, "").trim();
}
