/**
 * Stamps of `pipeline.ts` projects: a stamp also holds every local module of
 * the pipeline module's static import graph and the Deno configuration files
 * around them, so an unchanged project's no-op (and `status`) is answered
 * without loading the module, and any change to what loading reads sends the
 * command the full way. A module whose loading depends on something else (a
 * dynamic import, an environment read) never gets a stamp.
 *
 * @module
 */
import assert from "node:assert/strict";
import { FINE_RACY_WINDOW_MS } from "../../src/storage/racy_window.ts";
import { runFastNoopInProcess, runPivotInProcess } from "../_helpers/in_process.ts";
import { type CliResult, makeProject, type TempProject } from "../_helpers/project.ts";
import { timeless } from "../e2e/_fixtures/engine.ts";

/**
 * pipeline.ts → config.ts → consts.ts (a param computed while loading), and
 * → stages.ts (the stages' code).
 */
const FILES: Record<string, string> = {
  "pipeline.ts": `import { greeting } from "./config.ts";
import { copy, shout } from "./stages.ts";

export default {
  pipeline: "tsp",
  stages: {
    hello: { outs: "txt", params: { greeting }, run: shout },
    copy: { deps: { raw: "raw.txt" }, outs: "txt", run: copy },
  },
};
`,
  "config.ts": `import { PUNCT } from "./consts.ts";

export const greeting = ["hello", PUNCT].join("");
`,
  "consts.ts": `export const PUNCT = "!";
`,
  "stages.ts": `export function shout({ params }: { params: { greeting: string } }): string {
  return params.greeting.toUpperCase() + "\\n";
}

export function copy({ deps }: { deps: { raw: string } }): string {
  return Deno.readTextFileSync(deps.raw);
}
`,
  "raw.txt": "raw\n",
};

const UP_TO_DATE = "up to date hello\nup to date copy\n0 ran, 2 up to date (T)\n";

/** Waits out the racy window of file systems keeping times to the nanosecond. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, FINE_RACY_WINDOW_MS + 30));
}

/** Runs the CLI in this process and asserts that it succeeded without warnings. */
async function pivotOk(cwd: string, args: readonly string[]): Promise<CliResult> {
  const result = await runPivotInProcess(cwd, args);
  assert.equal(result.code, 0, `pivot ${args.join(" ")}: ${result.stderr}`);
  assert.equal(result.stderr, "", `pivot ${args.join(" ")}`);
  return result;
}

/** Replaces `from` (which must occur) by `to` in the project file `rel`. */
async function edit(p: TempProject, rel: string, from: string, to: string): Promise<void> {
  const text = await p.read(rel);
  assert.ok(text.includes(from), `${rel} holds ${from}`);
  await p.write(rel, text.replace(from, to));
}

/** Stage lines in a fixed order (stages complete in any order). */
function sorted(stdout: string): string {
  const lines = timeless(stdout).split("\n");
  const summary = lines.slice(-2);
  return [...lines.slice(0, -2).sort(), ...summary].join("\n");
}

/** One change after the stamp: the fast path must fall through and the full run react. */
interface Mutation {
  readonly name: string;
  readonly mutate: (p: TempProject) => Promise<void>;
  /** What the full `repro` after the change prints (stages in any order). */
  readonly react: string;
  /** Whether the project still gets a stamp after the change. @default {true} */
  readonly stamped?: boolean;
}

const MUTATIONS: readonly Mutation[] = [
  {
    name: "pipeline.ts edited",
    mutate: (p) => edit(p, "pipeline.ts", "params: { greeting }", 'params: { greeting: "hey" }'),
    react: "ran hello: params changed (T)\nup to date copy\n1 ran, 1 up to date (T)\n",
  },
  {
    name: "a module pipeline.ts imports edited",
    mutate: (p) => edit(p, "config.ts", '"hello"', '"howdy"'),
    react: "ran hello: params changed (T)\nup to date copy\n1 ran, 1 up to date (T)\n",
  },
  {
    name: "a module imported through another one edited",
    mutate: (p) => edit(p, "consts.ts", '"!"', '"?"'),
    react: "ran hello: params changed (T)\nup to date copy\n1 ran, 1 up to date (T)\n",
  },
  {
    name: "a deno.json created beside pipeline.ts",
    mutate: (p) => p.write("deno.json", "{}\n"),
    react: UP_TO_DATE,
  },
  {
    name: "a stage's code edited",
    mutate: (p) => edit(p, "stages.ts", "toUpperCase()", "toLowerCase()"),
    react: "ran hello: code changed (T)\nup to date copy\n1 ran, 1 up to date (T)\n",
  },
  {
    name: "a params.yaml overriding a param",
    mutate: (p) => p.write("params.yaml", "hello:\n  greeting: yo\n"),
    react: "ran hello: params changed (T)\nup to date copy\n1 ran, 1 up to date (T)\n",
  },
  {
    name: "a dynamic import added to a stage module",
    mutate: async (p) =>
      p.write(
        "stages.ts",
        `${await p.read("stages.ts")}
export async function later(): Promise<string> {
  return (await import("./consts.ts")).PUNCT;
}
`,
      ),
    react: UP_TO_DATE,
    stamped: false,
  },
];

Deno.test("pipeline.ts stamps: an unchanged project is answered from the stamp, any change to what loading reads goes the full way", async (t) => {
  await using fresh = await makeProject(FILES);
  const mutated = await Promise.all(MUTATIONS.map(() => makeProject(FILES)));
  await using _cleanup = {
    [Symbol.asyncDispose]: async () => {
      await Promise.all(mutated.map((p) => p[Symbol.asyncDispose]()));
    },
  };
  await settle();
  const ran = await Promise.all([fresh, ...mutated].map((p) => pivotOk(p.root, ["repro"])));
  for (const result of ran) {
    assert.equal(
      sorted(result.stdout),
      "ran copy: no previous run (T)\nran hello: no previous run (T)\n2 ran, 0 up to date (T)\n",
    );
  }

  await t.step("the first no-op right after the fresh run is answered from the stamp", async () => {
    for (let i = 0; i < 2; i++) {
      const answer = runFastNoopInProcess(fresh.root, ["repro"]);
      assert.equal(answer.code, 0);
      assert.equal(answer.stderr, "");
      assert.equal(sorted(answer.stdout), sorted(UP_TO_DATE));
    }
    assert.equal(await fresh.read("data/tsp/hello.txt"), "HELLO!\n");
  });

  await t.step("status is answered from its report stamp", async () => {
    const slow = await pivotOk(fresh.root, ["status"]);
    const answer = runFastNoopInProcess(fresh.root, ["status"]);
    assert.equal(answer.code, 0);
    assert.deepEqual([answer.stdout, answer.stderr], [slow.stdout, ""]);
  });

  const before = mutated.map((p) => runFastNoopInProcess(p.root, ["-q", "repro"]).code);
  for (const [i, m] of MUTATIONS.entries()) await m.mutate(mutated[i]!);
  await settle();
  const after = mutated.map((p) => runFastNoopInProcess(p.root, ["repro"]));
  const reactions = await Promise.all(mutated.map((p) => pivotOk(p.root, ["repro"])));

  for (const [i, m] of MUTATIONS.entries()) {
    await t.step(`after ${m.name}: the module is loaded again and the run reacts`, async () => {
      assert.equal(before[i], 0, "the stamp answered before the change");
      assert.deepEqual(after[i], { code: null, stdout: "", stderr: "" });
      assert.equal(sorted(reactions[i]!.stdout), sorted(m.react));
      const again = runFastNoopInProcess(mutated[i]!.root, ["repro"]);
      if (m.stamped === false) {
        assert.equal(again.code, null);
        // Not after a no-op either.
        await pivotOk(mutated[i]!.root, ["repro"]);
        assert.equal(runFastNoopInProcess(mutated[i]!.root, ["repro"]).code, null);
      } else {
        assert.equal(again.code, 0);
        assert.equal(sorted(again.stdout), sorted(UP_TO_DATE));
      }
    });
  }
});

Deno.test("pipeline.ts stamps: none for a module that reads the environment while loading", async () => {
  await using p = await makeProject({
    "pipeline.ts": `export default {
  pipeline: "tsp",
  stages: {
    hello: { outs: "txt", params: { who: Deno.env.get("WHO") ?? "you" }, run: () => "hello\\n" },
  },
};
`,
  });
  await settle();
  await pivotOk(p.root, ["repro"]);
  const noop = await pivotOk(p.root, ["repro"]);
  assert.equal(timeless(noop.stdout), "up to date hello\n0 ran, 1 up to date (T)\n");
  assert.deepEqual(runFastNoopInProcess(p.root, ["repro"]), { code: null, stdout: "", stderr: "" });
  await pivotOk(p.root, ["status"]);
  assert.equal(runFastNoopInProcess(p.root, ["status"]).code, null);
});

Deno.test("pipeline.ts stamps: a run during which a stage changes what loading read leaves none", async (t) => {
  const cases = [
    {
      name: "a module imported through another one edited",
      change:
        `Deno.writeTextFileSync(new URL("./consts.ts", import.meta.url), 'export const PUNCT = "?";\\n');`,
      next:
        "ran hello: params changed (T)\nup to date copy\nup to date tamper\n1 ran, 2 up to date (T)\n",
    },
    {
      // Deleted: no time tells it happened after the module was loaded.
      name: "the deno.json beside pipeline.ts deleted",
      change: `Deno.removeSync(new URL("./deno.json", import.meta.url));`,
      next: "up to date hello\nup to date copy\nup to date tamper\n0 ran, 3 up to date (T)\n",
    },
  ];
  for (const { name, change, next } of cases) {
    await t.step(name, async () => {
      await using p = await makeProject({
        ...FILES,
        "deno.json": "{}\n",
        "pipeline.ts": FILES["pipeline.ts"]!
          .replace("import { copy, shout }", "import { copy, shout, tamper }")
          .replace("  },\n};", '    tamper: { outs: "txt", run: tamper },\n  },\n};'),
        "stages.ts": `${FILES["stages.ts"]}
export function tamper(): string {
  ${change}
  return "tampered\\n";
}
`,
      });
      await settle();
      const fresh = await pivotOk(p.root, ["repro", "-j", "1"]);
      assert.match(timeless(fresh.stdout), /^3 ran, 0 up to date \(T\)$/m);
      assert.equal(await p.read("data/tsp/hello.txt"), "HELLO!\n");
      assert.deepEqual(runFastNoopInProcess(p.root, ["repro"]), {
        code: null,
        stdout: "",
        stderr: "",
      });
      await settle();
      assert.equal(sorted((await pivotOk(p.root, ["repro"])).stdout), sorted(next));
      // That run's stamp answers.
      assert.equal(runFastNoopInProcess(p.root, ["repro"]).code, 0);
    });
  }
});
