/**
 * Real git repositories for tests: `git(dir, ...args)` runs git with a fixed
 * identity and no user or system configuration, and fails the test on error.
 *
 * @module
 */

/** Runs `git args…` in `cwd` and returns its standard output (trimmed). */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const output = await new Deno.Command("git", {
    args: [
      "-c",
      "user.name=Pivot Test",
      "-c",
      "user.email=test@pivot.invalid",
      "-c",
      "init.defaultBranch=main",
      "-c",
      "commit.gpgsign=false",
      ...args,
    ],
    cwd,
    env: { GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", LC_ALL: "C" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (!output.success) {
    throw new Error(`git ${args.join(" ")} failed: ${decoder.decode(output.stderr)}`);
  }
  return decoder.decode(output.stdout).trim();
}

/** `git add -A && git commit -m message` in `cwd`; returns the new commit id. */
export async function commitAll(cwd: string, message: string): Promise<string> {
  await git(cwd, "add", "-A");
  await git(cwd, "commit", "-q", "-m", message);
  return await git(cwd, "rev-parse", "HEAD");
}
