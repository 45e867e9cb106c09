/**
 * Other processes for tests of claims, sentinels and reader marks: a live
 * PID that is not the test's own, and the PID of one that has ended.
 *
 * @module
 */

/** A `sleep` child (`seconds`, default 30) whose PID is live until it is killed and reaped on dispose. */
export function liveProcess(seconds = 30): { pid: number } & AsyncDisposable {
  const child = new Deno.Command("sleep", {
    args: [String(seconds)],
    stdout: "null",
    stderr: "null",
  })
    .spawn();
  return {
    pid: child.pid,
    [Symbol.asyncDispose]: async () => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
    },
  };
}

/** The PID of a process that has exited (and been reaped). */
export async function deadPid(): Promise<number> {
  const child = new Deno.Command("true", { stdout: "null", stderr: "null" }).spawn();
  await child.status;
  return child.pid;
}
