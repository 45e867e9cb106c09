import assert from "node:assert/strict";
import * as path from "node:path";
import { tempDir } from "../_helpers/files.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { assertFailed, makeProject, runPivot } from "../_helpers/project.ts";

Deno.test("pivot config set/get/unset validate keys and values and keep the rest of the file", async () => {
  await using p = await makeProject({
    ".pivot/config.yaml": "# team settings\ncache:\n  dir: /mnt/cache # shared\n",
  });
  const set = await runPivotInProcess(p.root, ["config", "set", "remote.jobs", "8"]);
  assert.equal(set.stdout, "set remote.jobs = 8 in .pivot/config.yaml\n");
  assert.equal(
    await p.read(".pivot/config.yaml"),
    "# team settings\ncache:\n  dir: /mnt/cache # shared\nremote:\n  jobs: 8\n",
  );
  assert.equal(
    (await runPivotInProcess(p.root, ["config", "get", "remote.jobs"])).stdout,
    "remote.jobs = 8 (project)\n",
  );
  assert.equal(
    (await runPivotInProcess(p.root, ["config", "get", "watch.debounce"])).stdout,
    "watch.debounce = 300 (default)\n",
  );
  const before = await p.read(".pivot/config.yaml");
  assertFailed(
    await runPivotInProcess(p.root, ["config", "set", "remote.jobz", "8"]),
    "error: unknown config key 'remote.jobz' (did you mean 'remote.jobs'?)\nhint: known keys: cache.dir, cache.checkout_mode, store.data_dir, core.jobs, core.load_timeout, remote.jobs, remote.retries, remote.retry_delay, watch.debounce, default_remote, params.overrides, remotes.<name>.url, remotes.<name>.endpoint, remotes.<name>.region, remotes.<name>.profile, remotes.<name>.path_style, remotes.<name>.jobs\n",
  );
  assertFailed(
    await runPivotInProcess(p.root, ["config", "set", "remote.jobs", "many"]),
    "error: remote.jobs must be an integer of at least 1\n",
  );
  assertFailed(
    await runPivotInProcess(p.root, ["config", "set", "cache.checkout_mode", "reflink"]),
    "error: cache.checkout_mode must be one of hardlink, symlink, copy, or several in order of preference\n",
  );
  assert.equal(await p.read(".pivot/config.yaml"), before, "a refused value writes nothing");

  const unset = await runPivotInProcess(p.root, ["config", "unset", "remote.jobs"]);
  assert.equal(unset.stdout, "removed remote.jobs from .pivot/config.yaml\n");
  assert.equal(
    await p.read(".pivot/config.yaml"),
    "# team settings\ncache:\n  dir: /mnt/cache # shared\n",
  );
  assertFailed(
    await runPivotInProcess(p.root, ["config", "unset", "remote.jobs"]),
    "error: remote.jobs is not set in .pivot/config.yaml\nhint: 'pivot config list' shows where each value comes from (--global for the user file)\n",
  );
});

Deno.test("pivot config --global writes the user config under XDG_CONFIG_HOME, and the project overrides it", async () => {
  await using p = await makeProject({ "pivot.yaml": "pipeline: ml\nstages: {}\n" });
  await using home = await tempDir();
  const env = { XDG_CONFIG_HOME: home.path };
  // A real process: the variable comes from the process environment.
  const set = await runPivot(p.root, ["config", "set", "--global", "remote.jobs", "4"], env);
  const userFile = path.join(home.path, "pivot/config.yaml");
  assert.equal(set.stdout, `set remote.jobs = 4 in ${userFile}\n`);
  assert.equal(await Deno.readTextFile(userFile), "remote:\n  jobs: 4\n");
  assert.match(
    (await runPivotInProcess(p.root, ["config", "list"], env)).stdout,
    /^remote\.jobs = 4 \(user\)$/m,
  );
  await runPivotInProcess(p.root, ["config", "set", "remote.jobs", "2"], env);
  assert.match(
    (await runPivotInProcess(p.root, ["config", "list"], env)).stdout,
    /^remote\.jobs = 2 \(project\)$/m,
  );
  assert.equal(
    (await runPivotInProcess(home.path, ["config", "get", "--global", "remote.jobs"], env)).stdout,
    "remote.jobs = 4 (user)\n",
  );
});

Deno.test("pivot remote add/list/default/modify/remove manage remotes without a pipeline file", async () => {
  await using p = await makeProject();
  const run = (...args: string[]) => runPivotInProcess(p.root, args);
  assert.equal(
    (await run("remote", "list")).stdout,
    "no remotes; add one with 'pivot remote add NAME URL'\n",
  );
  assert.equal(
    (await run("remote", "add", "origin", "s3://bucket/team")).stdout,
    "added remote 'origin'\n",
  );
  assert.equal(
    (await run("remote", "add", "nfs", "file:///mnt/nfs/pivot", "--default")).stdout,
    "added remote 'nfs' (default)\n",
  );
  assertFailed(
    await run("remote", "add", "origin", "s3://other"),
    "error: remote 'origin' already exists in .pivot/config.yaml (s3://bucket/team)\nhint: pass --force to replace it, or change it: pivot remote modify origin url URL\n",
  );
  assertFailed(
    await run("remote", "add", "bad name", "s3://b"),
    "error: invalid remote name 'bad name': use letters, digits, '_' and '-'\n",
  );
  assertFailed(
    await run("remote", "add", "gcs", "gs://b/x"),
    "error: remote 'gcs': invalid remote URL 'gs://b/x': unsupported scheme 'gs'\nhint: use s3://bucket/prefix, a directory path or a file:// URL\n",
  );
  assert.equal((await run("remote", "modify", "origin", "region", "eu-west-1")).code, 0);
  assert.equal((await run("remote", "modify", "origin", "path_style", "yes")).code, 0);
  assertFailed(
    await run("remote", "modify", "origin", "path_style", "maybe"),
    "error: remotes.origin.path_style must be true or false\n",
  );
  assertFailed(
    await run("remote", "modify", "origin", "secret_key", "x"),
    "error: unknown remote setting 'secret_key'\nhint: settings: url, endpoint, region, profile, path_style, jobs\n",
  );
  assertFailed(
    await run("remote", "modify", "nfs", "region", "eu-west-1"),
    "error: remote 'nfs': region applies only to s3:// remotes\nhint: remove them: pivot config unset remotes.nfs.region\n",
  );
  assertFailed(
    await run("remote", "modify", "origni", "region", "x"),
    "error: unknown remote 'origni' (did you mean 'origin'?)\nhint: configured remotes: nfs, origin\n",
  );
  assert.equal(
    (await run("remote", "list")).stdout,
    "nfs\tfile:///mnt/nfs/pivot\t(default)\norigin\ts3://bucket/team\tregion=eu-west-1 path_style=true\n",
  );
  assert.equal((await run("remote", "default")).stdout, "nfs\n");
  assert.equal((await run("remote", "default", "origin")).stdout, "default remote: 'origin'\n");
  assert.equal((await run("remote", "remove", "origin")).stdout, "removed remote 'origin'\n");
  assert.equal(
    await p.read(".pivot/config.yaml"),
    "remotes:\n  nfs:\n    url: file:///mnt/nfs/pivot\n",
    "removing the default remote also removes default_remote",
  );
  assertFailed(
    await run("push"),
    "error: the remote directory /mnt/nfs/pivot does not exist\nhint: create it (mkdir -p /mnt/nfs/pivot), or mount the share it lives on\n",
  );
});

Deno.test("pivot remote add warns about a directory remote that does not exist, and refuses 's3:/…'", async () => {
  await using p = await makeProject();
  const added = await runPivotInProcess(p.root, ["remote", "add", "typo", "../no such dir"]);
  assert.equal(added.code, 0);
  assert.equal(added.stdout, "added remote 'typo'\n");
  const missing = path.resolve(p.root, "../no such dir");
  assert.equal(
    added.stderr,
    `warning: remote 'typo' is the directory '${missing}', which does not exist: create it (mkdir -p '${missing}') or mount its share before 'pivot push'\n`,
  );
  await Deno.mkdir(path.join(p.root, "store"));
  const present = await runPivotInProcess(p.root, ["remote", "add", "store", "store"]);
  assert.deepEqual([present.code, present.stderr], [0, ""]);
  const config = await p.read(".pivot/config.yaml");
  assertFailed(
    await runPivotInProcess(p.root, ["remote", "add", "s3", "s3:/bucket/x"]),
    "error: remote 's3': invalid remote URL 's3:/bucket/x': 's3:' must be followed by '//'\nhint: did you mean 's3://bucket/x'? (a directory whose name has a colon: write ./s3:/bucket/x)\n",
  );
  assert.equal(await p.read(".pivot/config.yaml"), config);
});

// Before, 'core.jobs is not set' and exit 1, while every other key showed its default.
Deno.test("pivot config get core.jobs shows its default, the CPU count", async () => {
  await using p = await makeProject();
  assert.deepEqual(await runPivotInProcess(p.root, ["config", "get", "core.jobs"]), {
    code: 0,
    stdout: `core.jobs = ${navigator.hardwareConcurrency} (default)\n`,
    stderr: "",
  });
});
