/**
 * The variables pivot reads come from its IO (`CliIo.env`, `isTerminal`), so
 * a command run inside the test process sees the variables its test gives it
 * and never the host's: the test process's own environment is left alone
 * (`deno test --parallel` runs every test file in one process).
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import type { CliIo } from "../../src/cli/cli_context.ts";
import { runCli } from "../../src/cli/run_cli.ts";
import { noopStampKey } from "../../src/ops/noop_stamp.ts";
import { hashBytes } from "../../src/storage/mod.ts";
import { tempDir } from "../_helpers/files.ts";
import { makeProject } from "../_helpers/project.ts";

const NAMES = ["PIVOT_CACHE_DIR", "XDG_CONFIG_HOME", "HOME", "NO_COLOR"];

/** The test process's values of the variables pivot reads. */
function hostValues(): (string | undefined)[] {
  return NAMES.map((name) => Deno.env.get(name));
}

/** An IO in `cwd` whose environment is exactly `vars` and whose stdout is a terminal when `tty`. */
function io(cwd: string, vars: Record<string, string>, tty = false) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = {
    cwd,
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    env: (name) => vars[name],
    isTerminal: () => tty,
  };
  return { cli, stdout: () => out.join(""), stderr: () => err.join("") };
}

Deno.test("runCli() reads the user config's place from its io: XDG_CONFIG_HOME, else HOME, else none", async () => {
  const host = hostValues();
  await using p = await makeProject({ "pivot.yaml": "pipeline: ml\nstages: {}\n" });
  await using xdg = await tempDir();
  await using home = await tempDir();

  const set = io(p.root, { XDG_CONFIG_HOME: xdg.path, HOME: home.path });
  assert.equal(await runCli(["config", "set", "--global", "remote.jobs", "3"], set.cli), 0);
  const xdgFile = path.join(xdg.path, "pivot/config.yaml");
  assert.equal(set.stdout(), `set remote.jobs = 3 in ${xdgFile}\n`);
  assert.equal(await Deno.readTextFile(xdgFile), "remote:\n  jobs: 3\n");

  // Without XDG_CONFIG_HOME: ~/.config/pivot/config.yaml of the io's HOME.
  const homeSet = io(p.root, { HOME: home.path });
  assert.equal(await runCli(["config", "set", "--global", "remote.jobs", "5"], homeSet.cli), 0);
  const homeFile = path.join(home.path, ".config/pivot/config.yaml");
  assert.equal(homeSet.stdout(), `set remote.jobs = 5 in ${homeFile}\n`);

  // Every command reads the user config through the same variables.
  const fromXdg = io(p.root, { XDG_CONFIG_HOME: xdg.path });
  assert.equal(await runCli(["config", "get", "remote.jobs"], fromXdg.cli), 0);
  assert.equal(fromXdg.stdout(), "remote.jobs = 3 (user)\n");
  const fromHome = io(p.root, { HOME: home.path });
  assert.equal(await runCli(["config", "list"], fromHome.cli), 0);
  assert.match(fromHome.stdout(), /^remote\.jobs = 5 \(user\)$/m);

  // Neither: no place for the user config.
  const none = io(p.root, {});
  assert.equal(await runCli(["config", "set", "--global", "remote.jobs", "7"], none.cli), 1);
  assert.equal(
    none.stderr(),
    "error: no place for the user config: neither XDG_CONFIG_HOME nor HOME is set\n" +
      "hint: set HOME (or XDG_CONFIG_HOME), or leave out --global\n",
  );
  assert.deepEqual(hostValues(), host);
});

Deno.test("runCli() reads PIVOT_CACHE_DIR from its io: the cache moves for that command only", async () => {
  const host = hostValues();
  await using p = await makeProject({ "data.csv": "a,b\n1,2\n" });
  await using cache = await tempDir("pivot_test_cache_");
  const hash = hashBytes("a,b\n1,2\n");
  const blob = `files/${hash.slice(0, 2)}/${hash.slice(2)}`;

  const tracked = io(p.root, { PIVOT_CACHE_DIR: cache.path });
  assert.equal(await runCli(["track", "data.csv"], tracked.cli), 0, tracked.stderr());
  assert.equal(await Deno.readTextFile(path.join(cache.path, blob)), "a,b\n1,2\n");
  assert.equal(await Deno.lstat(p.path(".pivot/cache")).catch(() => null), null);

  // Another command without the variable uses the project's own (still empty) cache.
  await Deno.remove(p.path("data.csv"));
  const elsewhere = io(p.root, {});
  assert.equal(await runCli(["checkout", "data.csv"], elsewhere.cli), 1);
  assert.match(elsewhere.stderr(), /content missing from the cache/);
  const restored = io(p.root, { PIVOT_CACHE_DIR: cache.path });
  assert.equal(await runCli(["checkout", "data.csv"], restored.cli), 0, restored.stderr());
  assert.equal(await p.read("data.csv"), "a,b\n1,2\n");
  assert.deepEqual(hostValues(), host);
});

Deno.test("runCli() draws the live status line only when its io's stdout is a terminal and NO_COLOR is unset", async () => {
  const host = hostValues();
  const yaml = "pipeline: ml\nstages:\n  train:\n    cmd: echo hi > ${outs}\n    outs: txt\n";
  const cases: [string, Record<string, string>, boolean, boolean][] = [
    ["terminal", {}, true, true],
    ["terminal with NO_COLOR", { NO_COLOR: "1" }, true, false],
    ["not a terminal", {}, false, false],
  ];
  for (const [name, vars, tty, live] of cases) {
    await using p = await makeProject({ "pivot.yaml": yaml });
    const run = io(p.root, vars, tty);
    assert.equal(await runCli(["repro", "--force"], run.cli), 0, run.stderr());
    assert.equal(
      run.stdout().includes("\r\x1b[2K"),
      live,
      `${name}: ${JSON.stringify(run.stdout())}`,
    );
    assert.match(run.stdout(), /ran train: no previous run \(\d+\.\ds\)\n/, name);
  }
  assert.deepEqual(hostValues(), host);
});

Deno.test("noopStampKey() reads PIVOT_CACHE_DIR, XDG_CONFIG_HOME and HOME through the query's env", () => {
  const host = hostValues();
  const key = (vars: Record<string, string>) =>
    noopStampKey({
      mode: "repro",
      all: false,
      targets: [],
      cwd: "/project",
      env: (name) => vars[name],
    });
  const base = { HOME: "/home/a" };
  assert.equal(key(base), key({ ...base, NO_COLOR: "1", PATH: "/bin" }));
  for (
    const other of [
      { ...base, PIVOT_CACHE_DIR: "/cache" },
      { ...base, XDG_CONFIG_HOME: "/xdg" },
      { HOME: "/home/b" },
      {},
    ]
  ) {
    assert.notEqual(key(other), key(base), JSON.stringify(other));
  }
  assert.deepEqual(hostValues(), host);
});
