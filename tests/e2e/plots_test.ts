import assert from "node:assert/strict";
import * as path from "node:path";
import { git } from "../_helpers/git.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { assertFailed, assertUsage, runPivot } from "../_helpers/project.ts";
import { hashBytes } from "../../src/storage/mod.ts";
import { compareProject } from "./_fixtures/compare.ts";

/** The JSON block of plot specifications in a written page. */
function specsOf(html: string): { id: string; spec: { data: { values: unknown[] } } }[] {
  const match = html.match(
    /<script type="application\/json" id="pivot-plot-specs">(.*?)<\/script>/s,
  );
  assert.ok(match, "no plot specifications in the page");
  return JSON.parse(match[1]!);
}

Deno.test("pivot plots show writes one self-contained page, ignored by git", async () => {
  await using p = await compareProject();
  const result = await runPivotInProcess(p.root, ["plots", "show"]);
  assert.deepEqual(result, {
    code: 0,
    stdout: "wrote 2 plots to pivot_plots/index.html\n",
    stderr: "",
  });
  const html = await p.read("pivot_plots/index.html");
  assert.equal(
    await p.read("pivot_plots/.gitignore"),
    "# Written by pivot: the plots page is generated, keep it out of git.\n*\n",
  );
  assert.doesNotMatch(
    html,
    /<script[^>]+src=|<link[^>]+href=/,
    "nothing is loaded from elsewhere",
  );
  assert.ok(html.includes(".vegaEmbed="), "vega-embed is inlined");
  assert.ok(html.includes("workspace · 2 plots"));
  assert.ok(html.includes('src="data:image/svg+xml;base64,'));
  const [curve] = specsOf(html);
  assert.deepEqual(curve!.spec.data.values, [
    { epoch: 0, loss: 1, revision: "workspace" },
    { epoch: 1, loss: 0.8, revision: "workspace" },
    { epoch: 2, loss: 0.25, revision: "workspace" },
  ]);
});

Deno.test("pivot plots diff overlays a revision and the workspace, one series each", async () => {
  await using p = await compareProject();
  const result = await runPivotInProcess(p.root, [
    "plots",
    "diff",
    "HEAD~2",
    "-o",
    "out/p.html",
    "--json",
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), {
    file: p.path("out/p.html"),
    versions: [
      { rev: "HEAD~2", commit: await git(p.root, "rev-parse", "HEAD~2") },
      { rev: "workspace", commit: null },
    ],
    plots: [
      {
        identity: "train:curve",
        path: "data/ml/train/curve.csv",
        kind: "vega-lite",
        versions: ["HEAD~2", "workspace"],
      },
      {
        identity: "train:bar",
        path: "data/ml/train/bar.svg",
        kind: "images",
        versions: ["HEAD~2", "workspace"],
      },
    ],
    missing: [],
  });
  const html = await p.read("out/p.html");
  const values = specsOf(html)[0]!.spec.data.values as { revision: string; loss: number }[];
  assert.deepEqual(values.map((row) => `${row.revision}:${row.loss}`), [
    "HEAD~2:1",
    "HEAD~2:0.5",
    "HEAD~2:0.5",
    "workspace:1",
    "workspace:0.8",
    "workspace:0.25",
  ]);
  assert.equal((html.match(/<figcaption>(HEAD~2|workspace)<\/figcaption>/g) ?? []).length, 2);
  assert.equal(await p.exists("pivot_plots"), false, "-o writes only where it was told");
});

Deno.test("pivot plots reports what it cannot draw", async () => {
  await using p = await compareProject();
  assertFailed(
    await runPivotInProcess(p.root, ["plots", "show", "-o", "data"]),
    `error: cannot write the plots page to ${
      p.path("data")
    }: it is a directory\nhint: name a file, such as ${path.join(p.path("data"), "index.html")}\n`,
  );
  assertUsage(
    await runPivotInProcess(p.root, ["plots", "show", "train:scores"]),
    "error: 'train:scores' is not a plot output\nhint: plot outputs: train:curve, train:bar\n",
  );
  const yaml = JSON.parse(await p.read("pivot.yaml"));
  yaml.stages.train.outs.curve.template = "lines";
  await p.write("pivot.yaml", JSON.stringify(yaml));
  assertFailed(
    await runPivotInProcess(p.root, ["plots", "show"]),
    "error: unknown plot template 'lines' for train:curve (did you mean 'linear'?)\nhint: templates: linear, simple, scatter, smooth, bar, bar_horizontal, bar_horizontal_sorted, confusion, confusion_normalized\n",
  );
  yaml.stages.train.outs.curve = "csv";
  yaml.stages.train.outs.bar = "svg";
  await p.write("pivot.yaml", JSON.stringify(yaml));
  assert.deepEqual(await runPivotInProcess(p.root, ["plots", "show"]), {
    code: 0,
    stdout: "no plot outputs (declare one with 'kind: plot')\n",
    stderr: "",
  });
  assert.equal(await p.exists("pivot_plots"), false);
});

Deno.test("pivot plots show --open hands the page to xdg-open, and shrugs when there is none", async () => {
  await using p = await compareProject();
  await p.write("bin/xdg-open", `#!/bin/sh\necho "$@" > "${p.path("opened.txt")}"\n`);
  await Deno.chmod(p.path("bin/xdg-open"), 0o755);
  const opened = await runPivot(p.root, ["plots", "show", "--open"], {
    PATH: `${p.path("bin")}:${Deno.env.get("PATH")}`,
  });
  assert.equal(opened.code, 0, opened.stderr);
  assert.equal(await p.read("opened.txt"), `file://${p.path("pivot_plots/index.html")}\n`);
  // Deno's own directory only: no xdg-open there.
  const bare = { PATH: path.dirname(Deno.execPath()) };
  const quiet = await runPivot(p.root, ["plots", "show", "--open", "-q"], bare);
  assert.deepEqual([quiet.code, quiet.stdout, quiet.stderr], [0, "", ""]);
  const loud = await runPivot(p.root, ["plots", "show", "--open"], {
    PATH: path.dirname(Deno.execPath()),
  });
  assert.equal(loud.code, 0, loud.stderr);
  assert.equal(
    loud.stderr,
    `warning: cannot open a browser: 'xdg-open' was not found; open file://${
      p.path("pivot_plots/index.html")
    } yourself\n`,
  );
});

Deno.test("pivot plots diff fetches a revision's plot data the cache lacks from the default remote", async () => {
  await using p = await compareProject();
  const remote = await Deno.makeTempDir({ prefix: "pivot_remote_" });
  try {
    // A directory remote has the cache's layout: give it every blob.
    await new Deno.Command("cp", { args: ["-r", p.path(".pivot/cache/files"), remote] }).output();
    const old = new TextEncoder().encode("epoch,loss\n0,1\n1,0.5\n2,0.5\n");
    const hash = hashBytes(old);
    const blob = p.path(`.pivot/cache/files/${hash.slice(0, 2)}/${hash.slice(2)}`);
    await Deno.remove(blob);
    const before = await runPivotInProcess(p.root, ["plots", "diff", "HEAD~2", "--json"]);
    assert.equal(before.code, 1);
    assert.match(
      before.stderr,
      /^error: cannot read train:curve \(data\/ml\/train\/curve\.csv, content [0-9a-f]{16}\) as of HEAD~2: it is not in the cache, not committed to git, and no remote is configured\n/,
    );
    const added = await runPivotInProcess(p.root, ["remote", "add", "store", remote]);
    assert.equal(added.code, 0, added.stderr);
    const result = await runPivotInProcess(p.root, ["plots", "diff", "HEAD~2", "--json"]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout).plots[0].versions, ["HEAD~2", "workspace"]);
    assert.deepEqual(await Deno.readFile(blob), old, "fetched into the cache");
  } finally {
    await Deno.remove(remote, { recursive: true });
  }
});
