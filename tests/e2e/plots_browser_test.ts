/**
 * The plots page in a real browser: headless Chromium (Debian's `chromium`)
 * loads it from disk, with no network, and must show every plot without a
 * console error. Screenshots go to `tests/artifacts/` (or
 * `$PIVOT_TEST_ARTIFACTS`). Skipped, with the reason printed, when Chromium
 * is not installed.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { builtBundle } from "../_helpers/bundle.ts";
import { artifactDir, findChromium, visitPage } from "../_helpers/chromium.ts";
import { commitAll, git } from "../_helpers/git.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";

const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAABgAAAAMCAIAAAD3UuoiAAAATklEQVR4nO3MEQKAUBQAwcdxHMdxHMdxHC/H8ec4juPlOO4c3aATvDnARGCFNTbYYoc9DjjihDMuCK64YcEdDzzxQvHGB1+MjDLK6C/6AM1+6XDfXWqEAAAAAElFTkSuQmCC";

/** One stage writing a plot of every data format and template kind, and two images. */
const PIPELINE = JSON.stringify({
  pipeline: "ml",
  stages: {
    train: {
      cmd: [
        "printf 'epoch,loss\\n0,1\\n1,0.%s\\n2,0.%s5\\n3,0.1\\n' ${params.s} ${params.s} > ${outs.curve}",
        'printf \'{"a": 1, "b": %s}\\n{"a": 2, "b": 3}\\n{"a": 3, "b": 1}\\n\' ${params.s} > ${outs.points}',
        "printf 'name\\tscore\\ncat\\t%s\\ndog\\t5\\nemu\\t2\\n' ${params.s} > ${outs.ranks}",
        'printf \'[{"actual": "cat", "predicted": "cat"}, {"actual": "cat", "predicted": "dog"}, {"actual": "dog", "predicted": "dog"}, {"actual": "dog", "predicted": "%s"}]\' ${params.guess} > ${outs.classes}',
        "printf 'x,y\\n1,2\\n2,%s\\n3,5\\n4,4\\n5,7\\n6,6\\n' ${params.s} > ${outs.trend}",
        `echo ${PNG} | base64 -d > \${outs.picture}`,
        'printf \'<svg xmlns="http://www.w3.org/2000/svg" width="160" height="30"><rect width="%s0" height="30" fill="teal"/></svg>\' ${params.s} > ${outs.bar}',
      ].join(" && "),
      params: { s: 3, guess: "cat" },
      outs: {
        curve: { format: "csv", kind: "plot", x: "epoch", y: "loss" },
        points: { format: "jsonl", kind: "plot", template: "scatter", x: "a", y: "b" },
        ranks: {
          format: "tsv",
          kind: "plot",
          template: "bar_horizontal_sorted",
          x: "name",
          y: "score",
        },
        classes: {
          format: "json",
          kind: "plot",
          template: "confusion_normalized",
          x: "actual",
          y: "predicted",
        },
        trend: { format: "csv", kind: "plot", template: "smooth", x: "x", y: "y" },
        picture: { format: "png", kind: "plot" },
        bar: { format: "svg", kind: "plot" },
      },
    },
  },
});

/** What the page reports once it has drawn everything. */
const PROBE = `({
  rendered: document.documentElement.dataset.plotsRendered,
  failed: document.documentElement.dataset.plotsFailed,
  sections: document.querySelectorAll("section.plot").length,
  charts: document.querySelectorAll("section.plot .chart svg.marks").length,
  images: [...document.querySelectorAll("section.plot img")].filter((img) => img.complete && img.naturalWidth > 0).length,
  legends: [...document.querySelectorAll("section.plot .chart svg .role-legend text")].map((t) => t.textContent),
})`;
const READY = "document.documentElement.dataset.plotsRendered !== undefined";

async function historyProject(): Promise<TempProject> {
  const p = await makeProject({ "pivot.yaml": PIPELINE });
  await git(p.root, "init", "-q");
  for (const [params, message] of [["{}", "one"], ["train: {s: 5}", "two"]] as const) {
    await p.write("params.yaml", `${params}\n`);
    const result = await runPivotInProcess(p.root, ["repro", "-q"]);
    assert.equal(result.code, 0, result.stderr);
    await commitAll(p.root, message);
  }
  await p.write("params.yaml", "train: {s: 7, guess: dog}\n");
  const result = await runPivotInProcess(p.root, ["repro", "-q"]);
  assert.equal(result.code, 0, result.stderr);
  return p;
}

async function saveScreenshot(name: string, png: Uint8Array): Promise<void> {
  await Deno.mkdir(artifactDir(), { recursive: true });
  await Deno.writeFile(path.join(artifactDir(), name), png);
}

const chromium = findChromium();
if (chromium === null) {
  Deno.stdout.writeSync(
    new TextEncoder().encode(
      "skipping the plots browser tests: chromium is not installed (apt-get install chromium)\n",
    ),
  );
}

Deno.test({
  name: "pivot plots diff: every plot renders in headless Chromium without a console error",
  ignore: chromium === null,
  fn: async () => {
    await using p = await historyProject();
    const result = await runPivotInProcess(p.root, ["plots", "diff", "HEAD~1"]);
    assert.equal(result.stdout, "wrote 7 plots to pivot_plots/index.html\n", result.stderr);
    const visit = await visitPage(chromium!, p.path("pivot_plots/index.html"), {
      ready: READY,
      probe: PROBE,
    });
    await saveScreenshot("plots_diff.png", visit.screenshot);
    assert.deepEqual(visit.problems, []);
    const probe = visit.probe as Record<string, unknown>;
    assert.deepEqual(
      { ...probe, legends: undefined },
      { rendered: "5", failed: "0", sections: 7, charts: 5, images: 4, legends: undefined },
    );
    // Each overlaid chart names both versions in its legend (the confusion matrices are titled instead).
    const legends = probe.legends as string[];
    assert.equal(legends.filter((text) => text === "HEAD~1").length, 4);
    assert.equal(legends.filter((text) => text === "workspace").length, 4);
  },
});

Deno.test({
  name: "the bundle (deno task bundle) writes a plots page that renders offline",
  ignore: chromium === null,
  fn: async () => {
    await using p = await historyProject();
    const bundle = await builtBundle();
    const shown = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", bundle, "plots", "show", "-o", "show.html"],
      cwd: p.root,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(new TextDecoder().decode(shown.stdout), "wrote 7 plots to show.html\n");
    const visit = await visitPage(chromium!, p.path("show.html"), { ready: READY, probe: PROBE });
    await saveScreenshot("plots_show_bundle.png", visit.screenshot);
    assert.deepEqual(visit.problems, []);
    const probe = visit.probe as Record<string, unknown>;
    assert.deepEqual(
      [probe.rendered, probe.failed, probe.charts, probe.images],
      ["5", "0", 5, 2],
    );
  },
});
