import assert from "node:assert/strict";
import { configNumber, configString, loadConfig } from "../../src/project/mod.ts";
import { PipelineFileError } from "../../src/util/errors.ts";
import { makeProject } from "../_helpers/project.ts";

// These tests write only the project config; they assume no user config file
// ($XDG_CONFIG_HOME/pivot/config.yaml or ~/.config/pivot/config.yaml) sets a key.

const DEFAULTS = {
  "cache.checkout_mode": "hardlink,symlink,copy",
  "store.data_dir": "data",
  "core.jobs": navigator.hardwareConcurrency,
  "core.load_timeout": 60,
  "remote.jobs": 16,
  "remote.retries": 4,
  "remote.retry_delay": 250,
  "watch.debounce": 300,
};

/** Asserts that loading `config` fails at `line:column` with `detail`. */
async function assertConfigError(
  config: string,
  line: number,
  column: number,
  detail: string,
): Promise<void> {
  await using p = await makeProject({ ".pivot/config.yaml": config });
  await assert.rejects(loadConfig(p.root), (error: unknown) => {
    assert.ok(error instanceof PipelineFileError, String(error));
    assert.equal(error.message, `.pivot/config.yaml:${line}:${column}: ${detail}`);
    assert.equal(error.file, p.path(".pivot/config.yaml"));
    assert.equal(error.line, line);
    assert.equal(error.column, column);
    assert.equal(error.detail, detail);
    return true;
  });
}

Deno.test("loadConfig() returns the defaults without a config file", async () => {
  await using p = await makeProject();
  assert.deepEqual(await loadConfig(p.root), { values: DEFAULTS, sections: {} });
});

Deno.test("loadConfig() returns the defaults for an empty config file", async () => {
  await using p = await makeProject({ ".pivot/config.yaml": "# nothing set yet\n" });
  assert.deepEqual(await loadConfig(p.root), { values: DEFAULTS, sections: {} });
});

Deno.test("loadConfig() reads every known key over the defaults", async () => {
  await using p = await makeProject({
    ".pivot/config.yaml": [
      "cache:",
      "  dir: /mnt/cache",
      "  checkout_mode: copy",
      "store:",
      "  data_dir: out",
      "core:",
      "  jobs: 4",
      "  load_timeout: 5",
      "remote:",
      "  jobs: 2",
      "watch:",
      "  debounce: 0",
      "default_remote: shared",
      "params:",
      "  overrides: none",
      "",
    ].join("\n"),
  });
  const config = await loadConfig(p.root);
  assert.deepEqual(config.values, {
    "cache.checkout_mode": "copy",
    "store.data_dir": "out",
    "core.load_timeout": 5,
    "remote.jobs": 2,
    "remote.retries": 4,
    "remote.retry_delay": 250,
    "watch.debounce": 0,
    "cache.dir": "/mnt/cache",
    "core.jobs": 4,
    "default_remote": "shared",
    "params.overrides": "none",
  });
  assert.equal(configString(config, "store.data_dir"), "out");
  assert.equal(configString(config, "core.jobs"), undefined);
  assert.equal(configNumber(config, "core.load_timeout"), 5);
  assert.equal(configNumber(config, "store.data_dir"), undefined);
  assert.equal(configString(config, "cache.dir"), "/mnt/cache");
});

Deno.test("loadConfig() keeps the remotes section as a free-form map", async () => {
  await using p = await makeProject({
    ".pivot/config.yaml": [
      "remotes:",
      "  shared: {url: /mnt/pivot}",
      "  s3: {url: 's3://bucket/prefix', region: eu-west-1}",
      "default_remote: s3",
      "",
    ].join("\n"),
  });
  const config = await loadConfig(p.root);
  assert.deepEqual(config.sections, {
    remotes: {
      shared: { url: "/mnt/pivot" },
      s3: { url: "s3://bucket/prefix", region: "eu-west-1" },
    },
  });
  assert.equal(config.values["default_remote"], "s3");
});

Deno.test("loadConfig() rejects an unknown key with its file, line and the closest key", async (t) => {
  const cases: [string, string, number, number, string][] = [
    [
      "a misspelt key",
      "cache:\n  dir: x\n  checkout_mod: copy\n",
      3,
      3,
      "unknown config key 'cache.checkout_mod' (did you mean 'cache.checkout_mode'?)",
    ],
    [
      "a misspelt section",
      "cahce:\n  dir: x\n",
      2,
      3,
      "unknown config key 'cahce.dir' (did you mean 'cache.dir'?)",
    ],
    [
      "a key far from any other",
      "store:\n  data_dir: data\ncolour: blue\n",
      3,
      1,
      "unknown config key 'colour'",
    ],
    [
      "a known section without the key",
      "core:\n  job: 4\n",
      2,
      3,
      "unknown config key 'core.job' (did you mean 'core.jobs'?)",
    ],
    [
      "a value where a section is expected",
      "cache: big\n",
      1,
      1,
      "unknown config key 'cache'",
    ],
  ];
  for (const [name, config, line, column, detail] of cases) {
    await t.step(name, async () => {
      await assertConfigError(config, line, column, detail);
    });
  }
});

Deno.test("loadConfig() lists the known keys in the hint for an unknown key", async () => {
  await using p = await makeProject({ ".pivot/config.yaml": "colour: blue\n" });
  await assert.rejects(loadConfig(p.root), (error: unknown) => {
    assert.ok(error instanceof PipelineFileError);
    assert.equal(
      error.hint,
      "known keys: cache.dir, cache.checkout_mode, store.data_dir, core.jobs, core.load_timeout, remote.jobs, remote.retries, remote.retry_delay, watch.debounce, default_remote, params.overrides, remotes.<name>.url, remotes.<name>.endpoint, remotes.<name>.region, remotes.<name>.profile, remotes.<name>.path_style, remotes.<name>.jobs",
    );
    return true;
  });
});

Deno.test("loadConfig() rejects bad values, pointing at the key", async (t) => {
  const cases: [string, string, number, number, string][] = [
    ["jobs of zero", "core:\n  jobs: 0\n", 2, 3, "core.jobs must be an integer of at least 1"],
    ["fractional jobs", "core:\n  jobs: 1.5\n", 2, 3, "core.jobs must be an integer of at least 1"],
    ["jobs as text", "core:\n  jobs: '4'\n", 2, 3, "core.jobs must be an integer of at least 1"],
    [
      "a load timeout of zero",
      "core:\n  load_timeout: 0\n",
      2,
      3,
      "core.load_timeout must be an integer of at least 1 (seconds)",
    ],
    [
      "a load timeout with a unit",
      "core:\n  load_timeout: 60s\n",
      2,
      3,
      "core.load_timeout must be an integer of at least 1 (seconds)",
    ],
    [
      "negative remote jobs",
      "remote:\n  jobs: -1\n",
      2,
      3,
      "remote.jobs must be an integer of at least 1",
    ],
    [
      "negative debounce",
      "watch:\n  debounce: -5\n",
      2,
      3,
      "watch.debounce must be an integer of at least 0",
    ],
    [
      "a misspelt checkout mode",
      "cache:\n  checkout_mode: hardlnk\n",
      2,
      3,
      "cache.checkout_mode must be one of hardlink, symlink, copy, or several in order of preference (did you mean 'hardlink'?)",
    ],
    [
      "an unknown checkout mode",
      "cache:\n  checkout_mode: reflink-or-else\n",
      2,
      3,
      "cache.checkout_mode must be one of hardlink, symlink, copy, or several in order of preference",
    ],
    [
      "an empty data dir",
      "store:\n  data_dir: ''\n",
      2,
      3,
      "store.data_dir must be a non-empty string",
    ],
    [
      "a blank cache dir",
      "cache:\n  dir: '   '\n",
      2,
      3,
      "cache.dir must be a non-empty string",
    ],
    [
      "a numeric remote name",
      "default_remote: 5\n",
      1,
      1,
      "default_remote must be a non-empty string",
    ],
    ["a null data dir", "store:\n  data_dir:\n", 2, 3, "store.data_dir must be a non-empty string"],
    ["remotes as a list", "remotes: [a, b]\n", 1, 1, "'remotes' must be a map"],
    ["a list of settings", "- cache\n- store\n", 1, 1, "expected a map of settings"],
  ];
  for (const [name, config, line, column, detail] of cases) {
    await t.step(name, async () => {
      await assertConfigError(config, line, column, detail);
    });
  }
});

Deno.test("loadConfig() reports invalid YAML with its position", async (t) => {
  await t.step("an unclosed list", async () => {
    await assertConfigError(
      "cache:\n  dir: [unclosed\n",
      3,
      1,
      "invalid YAML: flow sequence in block collection must be sufficiently indented and end with a ]",
    );
  });
  await t.step("a key given twice", async () => {
    await assertConfigError(
      "cache:\n  dir: a\n  dir: b\n",
      3,
      3,
      "invalid YAML: map keys must be unique",
    );
  });
});

Deno.test("loadConfig() reads the user config its env places ($XDG_CONFIG_HOME, else $HOME/.config), under the project's", async () => {
  await using p = await makeProject({ ".pivot/config.yaml": "core:\n  jobs: 4\n" });
  await p.write("xdg/pivot/config.yaml", "core:\n  jobs: 2\nremote:\n  jobs: 3\n");
  await p.write("home/.config/pivot/config.yaml", "remote:\n  jobs: 5\n");
  const fromXdg = await loadConfig(
    p.root,
    (name) =>
      ({ XDG_CONFIG_HOME: p.path("xdg"), HOME: p.path("home") } as Record<string, string>)[name],
  );
  assert.deepEqual(fromXdg.values, { ...DEFAULTS, "core.jobs": 4, "remote.jobs": 3 });
  const fromHome = await loadConfig(p.root, (name) => name === "HOME" ? p.path("home") : undefined);
  assert.deepEqual(fromHome.values, { ...DEFAULTS, "core.jobs": 4, "remote.jobs": 5 });
  const none = await loadConfig(p.root, () => undefined);
  assert.deepEqual(none.values, { ...DEFAULTS, "core.jobs": 4 });
});
