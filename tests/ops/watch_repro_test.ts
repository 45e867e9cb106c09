/**
 * watchRepro() in this process: the loop's decisions (what reloads, what
 * runs, what is left alone), read from its events. The command-line
 * behaviour, signals and the socket are tested with a real process in
 * tests/e2e/watch_test.ts and watch_socket_test.ts.
 */
import assert from "node:assert/strict";
import type { WatchEvent } from "../../src/engine/mod.ts";
import { watchRepro, type WatchReproOptions } from "../../src/ops/mod.ts";
import { makeProject } from "../_helpers/project.ts";

/** A watch session running in this process; dispose of it to stop it. */
class Watching implements AsyncDisposable {
  readonly events: WatchEvent[] = [];
  readonly #controller = new AbortController();
  readonly #done: Promise<void>;

  /** Starts watching `cwd`; `onEvent` is told each event as it comes. */
  constructor(
    cwd: string,
    options: Partial<WatchReproOptions> = {},
    onEvent: (event: WatchEvent) => void = () => {},
  ) {
    this.#done = watchRepro({
      cwd,
      targets: [],
      debounceMs: 50,
      jobs: 1,
      ...options,
      onEvent: (event) => {
        this.events.push(event);
        onEvent(event);
      },
      warn: () => {},
      signal: this.#controller.signal,
    });
  }

  /** Waits for the `n`th summary and returns the events of that iteration (from its trigger). */
  async iteration(n: number): Promise<WatchEvent[]> {
    const deadline = Date.now() + 20_000;
    while (this.events.filter((e) => e.type === "summary").length < n) {
      assert.ok(Date.now() < deadline, `no summary ${n}: ${JSON.stringify(this.events)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const triggers = this.events.flatMap((e, i) => e.type === "watch_trigger" ? [i] : []);
    const summaries = this.events.flatMap((e, i) => e.type === "summary" ? [i] : []);
    const end = summaries[n - 1]!;
    const start = triggers.filter((i) => i < end).at(-1)!;
    return this.events.slice(start, end + 1);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#controller.abort();
    await this.#done;
  }
}

/** `[stage, status, reason]` of each completed stage among `events`. */
function completions(events: readonly WatchEvent[]): string[][] {
  return events.flatMap((e) => e.type === "stage_complete" ? [[e.stage, e.status, e.reason]] : []);
}

Deno.test("watchRepro() reloads on a vars file and on .pivot/config.yaml", async () => {
  await using p = await makeProject({
    "pivot.yaml": [
      "pipeline: ml",
      "vars: [vars.yaml]",
      "stages:",
      "  greet:",
      "    cmd: echo ${greeting} > ${outs}",
      "    outs: txt",
      "",
    ].join("\n"),
    "vars.yaml": "greeting: hello\n",
  });
  await using watching = new Watching(p.root);
  await watching.iteration(1);
  await p.write("vars.yaml", "greeting: bonjour\n");
  const reload = await watching.iteration(2);
  assert.deepEqual(reload.slice(0, 2), [
    { type: "watch_trigger", source: "change", paths: ["vars.yaml"], stages: [], reload: true },
    {
      type: "pipeline_reloaded",
      stages: ["greet"],
      stages_added: [],
      stages_removed: [],
      stages_modified: ["greet"],
      error: null,
      hint: null,
    },
  ]);
  assert.deepEqual(completions(reload), [["greet", "ran", "code changed"]]);
  assert.equal(await p.read("data/ml/greet.txt"), "bonjour\n");
  await p.write(".pivot/config.yaml", "core:\n  jobs: 2\n");
  const config = await watching.iteration(3);
  assert.deepEqual(config[0], {
    type: "watch_trigger",
    source: "change",
    paths: [".pivot/config.yaml"],
    stages: [],
    reload: true,
  });
  assert.deepEqual(completions(config), [["greet", "skipped", "up to date"]]);
});

Deno.test("watchRepro() with targets leaves other stages alone, and runs only what a change reaches", async () => {
  await using p = await makeProject({
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  a:",
      "    cmd: cat ${deps.in} > ${outs}",
      "    deps: {in: a.txt}",
      "    outs: txt",
      "  b:",
      "    cmd: cat ${deps.in} ${deps.up} > ${outs}",
      "    deps: {in: b.txt, up: a}",
      "    outs: txt",
      "  c:",
      "    cmd: cat ${deps.up} > ${outs}",
      "    deps: {up: b}",
      "    outs: txt",
      "  lone:",
      "    cmd: cat ${deps.in} > ${outs}",
      "    deps: {in: lone.txt}",
      "    outs: txt",
      "",
    ].join("\n"),
    "a.txt": "a\n",
    "b.txt": "b\n",
    "lone.txt": "lone\n",
  });
  await using watching = new Watching(p.root, { targets: ["b"] });
  assert.deepEqual(completions(await watching.iteration(1)), [
    ["a", "ran", "no previous run"],
    ["b", "ran", "no previous run"],
  ]);
  // lone and c are not selected: lone.txt sets nothing off, b.txt runs b only (not c).
  await p.write("lone.txt", "changed\n");
  await p.write("b.txt", "b2\n");
  const change = await watching.iteration(2);
  assert.deepEqual(change[0], {
    type: "watch_trigger",
    source: "change",
    paths: ["b.txt"],
    stages: ["b"],
    reload: false,
  });
  assert.deepEqual(completions(change), [["a", "skipped", "up to date"], [
    "b",
    "ran",
    "inputs changed",
  ]]);
  assert.equal(await p.exists("data/ml/lone.txt"), false);
  assert.equal(await p.exists("data/ml/c.txt"), false);
});

Deno.test("watchRepro(): a directory around an output removed as the summary arrives is seen, not taken for the run's own writes", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: main\nstages:\n  a:\n    cmd: echo a > ${outs}\n    outs: txt\n",
    "sub/pivot.yaml": "pipeline: sub\nstages:\n  b:\n    cmd: echo b > ${outs}\n    outs: txt\n",
  });
  const away = await Deno.makeTempDir({ dir: `${p.root}/..` });
  try {
    // As a user would on seeing the summary line: sub (which holds b's output) moved out.
    await using watching = new Watching(p.root, { all: true }, (event) => {
      if (event.type === "summary" && event.ran === 2) {
        Deno.renameSync(p.path("sub"), `${away}/sub`);
      }
    });
    assert.deepEqual(completions(await watching.iteration(1)).sort(), [
      ["a", "ran", "no previous run"],
      ["b", "ran", "no previous run"],
    ]);
    const removed = await watching.iteration(2);
    assert.deepEqual(removed.slice(0, 2), [
      { type: "watch_trigger", source: "change", paths: ["sub"], stages: [], reload: true },
      {
        type: "pipeline_reloaded",
        stages: ["a"],
        stages_added: [],
        stages_removed: ["b"],
        stages_modified: [],
        error: null,
        hint: null,
      },
    ]);
    assert.deepEqual(completions(removed), [["a", "skipped", "up to date"]]);
  } finally {
    await Deno.remove(away, { recursive: true });
  }
});
