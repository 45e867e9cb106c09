/**
 * Small real file systems for tests of a full disk and a read-only one:
 * `await using fs = mountTmpfs(1024)` mounts a tmpfs of that many KiB
 * on a fresh directory and unmounts it on dispose. Needs root (tests skip
 * with `ignore: !CAN_MOUNT` elsewhere).
 *
 * @module
 */

/** Runs `command` with `args`, throwing with its stderr when it fails. */
function run(command: string, args: readonly string[]): void {
  const output = new Deno.Command(command, { args: [...args], stdout: "null", stderr: "piped" })
    .outputSync();
  if (!output.success) {
    throw new Error(`${command} ${args.join(" ")}: ${new TextDecoder().decode(output.stderr)}`);
  }
}

/** True when this process may mount file systems (root, outside a restricted container). */
function canMount(): boolean {
  const dir = Deno.makeTempDirSync({ prefix: "pivot_mount_probe_" });
  try {
    run("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]);
    run("umount", [dir]);
    return true;
  } catch {
    return false;
  } finally {
    Deno.removeSync(dir);
  }
}

/** Whether tests needing a mount can run here. */
export const CAN_MOUNT: boolean = canMount();

/** A mounted tmpfs. */
export interface Tmpfs extends AsyncDisposable {
  /** Its mount point (a real path). */
  readonly dir: string;
  /**
   * Fills it with a file of zeros until no space is left, then gives back
   * `leaveBytes` (rounded to the file system's pages).
   */
  fill(leaveBytes?: number): void;
  /** Removes the file {@linkcode Tmpfs.fill} wrote. */
  free(): void;
}

/** Mounts a tmpfs of `sizeKib` KiB on a new temp directory. */
export function mountTmpfs(sizeKib: number): Tmpfs {
  const dir = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "pivot_tmpfs_" }));
  run("mount", ["-t", "tmpfs", "-o", `size=${sizeKib}k`, "tmpfs", dir]);
  const filler = `${dir}/.filler`;
  return {
    dir,
    fill(leaveBytes = 0) {
      const file = Deno.openSync(filler, { write: true, create: true, append: true });
      const chunk = new Uint8Array(4096);
      try {
        for (;;) file.writeSync(chunk);
      } catch (error) {
        if ((error as { code?: string }).code !== "ENOSPC") throw error;
      } finally {
        file.close();
      }
      const { size } = Deno.statSync(filler);
      Deno.truncateSync(filler, Math.max(0, size - leaveBytes));
    },
    free() {
      Deno.removeSync(filler);
    },
    [Symbol.asyncDispose]: () => {
      try {
        unmount(dir);
      } finally {
        Deno.removeSync(dir);
      }
      return Promise.resolve();
    },
  };
}

/** Makes `dir` read-only by bind-mounting it over itself read-only; dispose to undo. */
export function bindReadOnly(dir: string): Disposable {
  run("mount", ["--bind", dir, dir]);
  try {
    run("mount", ["-o", "remount,bind,ro", dir]);
  } catch (error) {
    run("umount", [dir]);
    throw error;
  }
  return { [Symbol.dispose]: () => unmount(dir) };
}

/**
 * Unmounts `dir`. A process that is still ending (a command of a pivot
 * process that just exited, on a loaded machine) may keep it busy for a
 * moment: it is tried again for up to 10 s. When something still holds it
 * then (a leak, which the thrown error reports with the processes holding
 * it), it is detached all the same, so no mount outlives the test.
 */
function unmount(dir: string): void {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      run("umount", [dir]);
      return;
    } catch (error) {
      if (Date.now() < deadline) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
        continue;
      }
      const held = holders(dir);
      run("umount", ["-l", dir]);
      throw new Error(`${(error as Error).message}held by: ${held.join("; ") || "nothing found"}`);
    }
  }
}

/** The processes with their working directory or an open file under `dir` (Linux `/proc`). */
function holders(dir: string): string[] {
  const link = (at: string) => {
    try {
      return Deno.readLinkSync(at);
    } catch {
      return ""; // closed or gone meanwhile, or not ours to read
    }
  };
  const found: string[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const base = `/proc/${entry.name}`;
    let fds: string[] = [];
    try {
      fds = [...Deno.readDirSync(`${base}/fd`)].map((fd) => `${base}/fd/${fd.name}`);
    } catch {
      // Gone, or not ours to read.
    }
    const inside = [`${base}/cwd`, ...fds].map(link).filter((target) =>
      target === dir || target.startsWith(`${dir}/`)
    );
    if (inside.length === 0) continue;
    let command = "";
    try {
      command = Deno.readTextFileSync(`${base}/cmdline`).replaceAll("\0", " ").trim();
    } catch {
      // Gone meanwhile.
    }
    found.push(`${entry.name} (${command}): ${inside.join(", ")}`);
  }
  return found;
}
