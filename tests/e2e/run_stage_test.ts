import assert from "node:assert/strict";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { tempDir } from "../_helpers/files.ts";
import { makeProject, pivotCommand, runPivot, type TempProject } from "../_helpers/project.ts";
import { completions, jsonEvents, lockRel, readLock, timeless } from "./_fixtures/engine.ts";

/**
 * `pivot repro ...args` in this process, asserting success; returns stdout without timings.
 * Each run has a session of its own whose workers import the stage modules afresh, so the
 * tests that edit stage code between runs see the edit (they check the new code's output).
 */
async function repro(p: TempProject, ...args: string[]): Promise<string> {
  const result = await runPivotInProcess(p.root, ["repro", ...args]);
  assert.equal(result.code, 0, result.stderr);
  return timeless(result.stdout);
}

/** Replaces `from` (which must occur) by `to` in the project file `rel`. */
async function edit(p: TempProject, rel: string, from: string, to: string): Promise<void> {
  const text = await p.read(rel);
  assert.ok(text.includes(from), `${rel} holds ${from}`);
  await p.write(rel, text.replace(from, to));
}

Deno.test("a run stage receives each input loaded by its format, and its paths, params and name", async () => {
  await using p = await makeProject({
    "pipe/pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  make:",
      "    cmd: |",
      "      printf 'a,b\\n1,x\\n2,y z\\n' > ${outs.c}",
      `      echo '{"k": [1, 2]}' > \${outs.j}`,
      `      printf '{"n":1}\\n{"n":2}\\n' > \${outs.l}`,
      "      printf 'name: pivot\\nlist: [1, 2]\\n' > ${outs.y}",
      "      printf 'hello\\n' > ${outs.t}",
      "      printf '\\001\\002\\377' > ${outs.b}",
      "      mkdir ${outs.d} && echo in > ${outs.d}/inner.txt",
      "    outs: {c: csv, j: json, l: jsonl, y: yaml, t: txt, b: bin, d: dir}",
      "  use:",
      "    run: ./stages.ts#use",
      "    deps:",
      "      c: make:c",
      "      j: make:j",
      "      l: make:l",
      "      y: make:y",
      "      t: make:t",
      "      b: make:b",
      "      d: make:d",
      "      plain: plain.dat",
      "      folder: folder",
      "      both: [make:t, plain.dat]",
      "    outs: json",
      "    params: {x: {y: 1}}",
      "",
    ].join("\n"),
    "pipe/stages.ts": `// deno-lint-ignore-file no-explicit-any
export function use(ctx: any) {
  const d = ctx.deps;
  return {
    c: d.c, j: d.j, l: d.l, y: d.y, t: d.t, d: d.d, plain: d.plain, folder: d.folder, both: d.both,
    b: [d.b instanceof Uint8Array, ...d.b],
    params: ctx.params,
    stage: ctx.stage,
    paths: ctx.paths,
  };
}
`,
    "pipe/plain.dat": "plain\n",
    "pipe/folder/f.txt": "f\n",
  });
  const out = await repro(p, "--all");
  assert.equal(
    out,
    "ran make: no previous run (T)\nran use: no previous run (T)\n2 ran, 0 up to date (T)\n",
  );
  const pipe = p.path("pipe");
  const data = `${pipe}/data/ml/make`;
  assert.deepEqual(JSON.parse(await p.read("pipe/data/ml/use.json")), {
    c: [{ a: "1", b: "x" }, { a: "2", b: "y z" }],
    j: { k: [1, 2] },
    l: [{ n: 1 }, { n: 2 }],
    y: { name: "pivot", list: [1, 2] },
    t: "hello\n",
    b: [true, 1, 2, 255],
    d: `${data}/d`,
    plain: `${pipe}/plain.dat`,
    folder: `${pipe}/folder`,
    both: ["hello\n", `${pipe}/plain.dat`],
    params: { x: { y: 1 } },
    stage: "use",
    paths: {
      deps: {
        c: `${data}/c.csv`,
        j: `${data}/j.json`,
        l: `${data}/l.jsonl`,
        y: `${data}/y.yaml`,
        t: `${data}/t.txt`,
        b: `${data}/b.bin`,
        d: `${data}/d`,
        plain: `${pipe}/plain.dat`,
        folder: `${pipe}/folder`,
        both: [`${data}/t.txt`, `${pipe}/plain.dat`],
      },
      outs: {},
      out: `${pipe}/data/ml/use.json`,
    },
  });
});

/** A pipeline.ts whose stages return their outputs, write them themselves, or print. */
const PIPELINE_TS = `// deno-lint-ignore-file
function helper(n: number): number {
  // doubles n
  return n * 2;
}

function unrelated(): number {
  return 1;
}

export default {
  name: "ml",
  stages: {
    single: {
      outs: "json",
      params: { n: 21 },
      run: ({ params }: { params: { n: number } }) => ({ answer: helper(params.n) }),
    },
    several: {
      outs: { rows: "csv", lines: "jsonl", conf: "yaml", text: "txt", bytes: "bin" },
      run: () => ({
        rows: [{ a: 1, b: "x y" }, { a: 2, b: 'q"uote' }],
        lines: [{ n: 1 }, { n: 2 }],
        conf: { name: "pivot", list: [1, 2] },
        text: "plain\\n",
        bytes: new Uint8Array([0, 1, 255]),
      }),
    },
    own: {
      outs: { dir: "dir", note: "txt" },
      run: ({ paths }: { paths: { outs: Record<string, string> } }) => {
        Deno.mkdirSync(paths.outs.dir);
        Deno.writeTextFileSync(paths.outs.dir + "/inner.txt", "inner\\n");
        Deno.writeTextFileSync(paths.outs.note, "note\\n");
      },
    },
    solo: {
      outs: "txt",
      run: ({ paths }: { paths: { out: string } }) => {
        Deno.writeTextFileSync(paths.out, "solo\\n");
      },
    },
    speak: {
      outs: "txt",
      run: ({ log }: { log: (...args: unknown[]) => void }) => {
        console.log("hello from speak");
        console.error("warning from speak");
        log("logged", 42);
        return "said\\n";
      },
    },
  },
};
`;

Deno.test("run stages write returned values by format, or their own files; console output is captured", async () => {
  await using p = await makeProject({ "pipeline.ts": PIPELINE_TS });
  const result = await runPivotInProcess(p.root, ["repro"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(timeless(result.stdout), /^5 ran, 0 up to date \(T\)\n$/m);
  // Lines are prefixed with the stage name while several stages run at once.
  assert.match(result.stdout, /^(\[speak\] )?hello from speak$/m);
  assert.match(result.stdout, /^(\[speak\] )?logged 42$/m);
  assert.match(result.stderr, /^(\[speak\] )?warning from speak$/m);
  assert.doesNotMatch(result.stdout, /warning from speak/);

  assert.equal(await p.read("data/ml/single.json"), '{\n  "answer": 42\n}\n');
  assert.equal(await p.read("data/ml/several/rows.csv"), 'a,b\n1,x y\n2,"q""uote"\n');
  assert.equal(await p.read("data/ml/several/lines.jsonl"), '{"n":1}\n{"n":2}\n');
  assert.equal(await p.read("data/ml/several/conf.yaml"), "name: pivot\nlist:\n  - 1\n  - 2\n");
  assert.equal(await p.read("data/ml/several/text.txt"), "plain\n");
  assert.deepEqual(
    await Deno.readFile(p.path("data/ml/several/bytes.bin")),
    new Uint8Array([0, 1, 255]),
  );
  assert.equal(await p.read("data/ml/own/dir/inner.txt"), "inner\n");
  assert.equal(await p.read("data/ml/own/note.txt"), "note\n");
  assert.equal(await p.read("data/ml/solo.txt"), "solo\n");
  assert.equal(await p.read("data/ml/speak.txt"), "said\n");
  const lock = await readLock(p.path(lockRel("ml", "single")));
  assert.deepEqual(Object.keys(lock.fingerprint.manifest).sort(), [
    "fn:pipeline.ts#default.stages.single.run",
    "fn:pipeline.ts#helper",
  ]);

  // An unrelated function and a comment inside the helper do not count.
  await edit(p, "pipeline.ts", "return 1;", "return 2;");
  await edit(p, "pipeline.ts", "// doubles n", "// multiplies n by two");
  assert.match(await repro(p), /^0 ran, 5 up to date \(T\)\n$/m);

  await edit(p, "pipeline.ts", "return n * 2;", "return n * 3;");
  const changed = await runPivotInProcess(p.root, ["repro", "--explain", "--json"]);
  assert.equal(changed.code, 0, changed.stderr);
  const done = completions(jsonEvents(changed.stdout));
  assert.deepEqual(
    [...done.values()].filter((e) => e.status !== "skipped").map((e) => e.stage),
    ["single"],
  );
  assert.equal(done.get("single")!.status, "ran");
  assert.equal(done.get("single")!.reason, "code changed");
  assert.deepEqual(done.get("single")!.details, ["code: helper() in pipeline.ts"]);
  assert.equal(await p.read("data/ml/single.json"), '{\n  "answer": 63\n}\n');
});

Deno.test("a run stage's fingerprint follows the helpers it calls, here and in imported modules", async () => {
  await using p = await makeProject({
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  a:",
      "    run: ./stages.ts#a",
      "    outs: txt",
      "  b:",
      "    run: ./stages.ts#b",
      "    outs: txt",
      "",
    ].join("\n"),
    "stages.ts": `import { far } from "./lib/util.ts";

const SUFFIX = "!";

function helper(x: string): string {
  return x + SUFFIX;
}

export function a(): string {
  // says a
  return helper("a");
}

export function b(): string {
  return far("b");
}

export function unrelated(): number {
  return 1;
}
`,
    "lib/util.ts": `export function far(x: string): string {
  return x + "?";
}
`,
  });
  assert.match(await repro(p), /^2 ran, 0 up to date \(T\)\n$/m);
  assert.equal(await p.read("data/ml/a.txt"), "a!");
  assert.equal(await p.read("data/ml/b.txt"), "b?");

  await edit(p, "stages.ts", "return 1;", "return 2;");
  await edit(p, "stages.ts", "// says a", "// says the letter a");
  assert.match(await repro(p), /^0 ran, 2 up to date \(T\)\n$/m);

  await edit(p, "stages.ts", "return x + SUFFIX;", "return x + SUFFIX + SUFFIX;");
  const status = await runPivotInProcess(p.root, ["status", "--explain"]);
  assert.equal(status.code, 0, status.stderr);
  assert.equal(
    status.stdout,
    "stale a: code changed\n    code: helper() in stages.ts\n1 stale, 1 up to date\n",
  );
  const helperRun = await repro(p, "--explain");
  assert.match(helperRun, /^ran a: code changed \(T\)\n {4}code: helper\(\) in stages\.ts\n/m);
  assert.match(helperRun, /^up to date b$/m);
  assert.match(helperRun, /^1 ran, 1 up to date \(T\)\n$/m);
  assert.equal(await p.read("data/ml/a.txt"), "a!!");

  await edit(p, "lib/util.ts", 'x + "?"', 'x + "??"');
  const farRun = await repro(p, "--explain");
  assert.match(farRun, /^ran b: code changed \(T\)\n {4}code: far\(\) in lib\/util\.ts\n/m);
  assert.match(farRun, /^up to date a$/m);
  assert.equal(await p.read("data/ml/b.txt"), "b??");
  const lock = await readLock(p.path(lockRel("ml", "b")));
  assert.deepEqual(Object.keys(lock.fingerprint.manifest).sort(), [
    "fn:lib/util.ts#far",
    "fn:stages.ts#b",
  ]);
});

Deno.test("a run stage that throws or returns the wrong shape fails with the reason", async () => {
  await using p = await makeProject({
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  arr:",
      "    run: ./s.ts#arr",
      "    outs: {x: json, y: json}",
      "  boom:",
      "    run: ./s.ts#boom",
      "    outs: txt",
      "  shape:",
      "    run: ./s.ts#shape",
      "    outs: csv",
      "  extra:",
      "    run: ./s.ts#extra",
      "    outs: {x: json}",
      "",
    ].join("\n"),
    "s.ts": [
      "export const arr = () => [1, 2];",
      'export function boom() { throw new Error("kaboom"); }',
      "export const shape = () => 42;",
      "export const extra = () => ({ x: 1, z: 2 });",
      "",
    ].join("\n"),
  });
  const result = await runPivotInProcess(p.root, ["repro", "-k"]);
  assert.equal(result.code, 1);
  assert.match(timeless(result.stdout), /^0 ran, 0 up to date, 4 failed \(T\)\n$/m);
  const failures = result.stderr.split("\n").filter((line) => line.startsWith("FAILED"))
    .map((line) => timeless(line)).sort();
  assert.deepEqual(failures, [
    "FAILED arr: the stage returned an array; with several outputs it must return an object keyed by output (x, y) (T)",
    "FAILED boom: Error: kaboom (T)",
    "FAILED extra: the stage returned unknown output z; declared: x (T)",
    "FAILED shape: output shape (csv): expected an array of row objects, got a number (T)",
  ]);
  for (const stage of ["arr", "boom", "shape", "extra"]) {
    assert.equal(await p.exists(lockRel("ml", stage)), false, stage);
  }
});

// New-user trial: stages built in a loop or by a helper function ran nowhere (every one failed
// with "cannot find 'default.stages.s0.run' … to fingerprint it", status too) and nothing said
// what to write instead; the string form, an exported function, works.
Deno.test("a run stage built in code, whose function the source does not spell out, fails with a hint naming the string form", async () => {
  await using p = await makeProject({
    "pipeline.ts": [
      "export function copy() { return 'hi\\n'; }",
      "const stages: Record<string, unknown> = {};",
      "for (const n of [0, 1]) stages[`s${n}`] = { outs: 'txt', run: copy };",
      "export default { pipeline: 'gen', stages };",
      "",
    ].join("\n"),
  });
  const hint = "hint: pivot reads a stage's function from the source: write 'run:' in the " +
    "stages object literal of the default export, or, for stages built in a loop or by a " +
    'helper function, export the function and name it as a string (run: "./pipeline.ts#myFunction")';
  const result = await runPivotInProcess(p.root, ["repro", "s0"]);
  assert.equal(result.code, 1);
  assert.equal(
    timeless(result.stderr),
    `FAILED s0: cannot find 'default.stages.s0.run' in ${
      p.path("pipeline.ts")
    } to fingerprint it\n` +
      `    ${hint}\n`,
  );
  const status = await runPivotInProcess(p.root, ["status"]);
  assert.equal(status.code, 1);
  assert.equal(
    status.stderr,
    `error: cannot find 'default.stages.s0.run' in ${
      p.path("pipeline.ts")
    } to fingerprint it\n${hint}\n`,
  );
  // What the hint says to write runs (one job: the two stages in their order).
  await p.write(
    "pipeline.ts",
    (await p.read("pipeline.ts")).replace("run: copy", "run: './pipeline.ts#copy'"),
  );
  assert.equal(
    await repro(p, "-j", "1"),
    "ran s0: no previous run (T)\nran s1: no previous run (T)\n2 ran, 0 up to date (T)\n",
  );
  assert.equal(await p.read("data/gen/s0.txt"), "hi\n");
});

// At a199f5d each worker called Deno.chdir(<pipeline dir>) around a stage function, but the
// working directory belongs to the whole process, so two run stages running at once saw each
// other's directory change under them (the working tree no longer changes it at all).
Deno.test("run stages running at once do not change each other's working directory", async () => {
  const stage = (name: string) =>
    `pipeline: ${name}\nstages:\n  ${name}_cwd:\n    run: ${
      name === "top" ? "." : ".."
    }/stages.ts#cwdTwice\n    outs: txt\n`;
  await using p = await makeProject({
    "pivot.yaml": stage("top"),
    "sub/pivot.yaml": stage("sub"),
    "stages.ts": `const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export async function cwdTwice() {
  await sleep(150);
  const first = Deno.cwd();
  await sleep(300);
  return first + "\\n" + Deno.cwd() + "\\n";
}
`,
  });
  await repro(p, "--all", "-j", "2");
  for (const out of ["data/top/top_cwd.txt", "sub/data/sub/sub_cwd.txt"]) {
    const [first, second] = (await p.read(out)).split("\n");
    assert.equal(second, first, out);
  }
});

// Found in the working tree after a199f5d: the spaces before an end-of-line comment were hashed.
Deno.test("adding an end-of-line comment inside a stage's helper does not re-run the stage", async () => {
  await using p = await makeProject({ "pipeline.ts": PIPELINE_TS });
  assert.match(await repro(p), /^5 ran, 0 up to date \(T\)\n$/m);
  await edit(p, "pipeline.ts", "return n * 2;", "return n * 2; // doubled");
  assert.match(await repro(p), /^0 ran, 5 up to date \(T\)\n$/m);
});

Deno.test("comment lines, blank lines and `deno fmt` in a stage's code do not re-run it; a changed value does", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: ml\nstages:\n  greet:\n    run: ./stages.ts#greet\n    outs: txt\n",
    "stages.ts": [
      "function  suffix (n:number) { return '!'.repeat(n) }",
      "export function greet(){",
      "    const name='pivot'",
      "    return `hello ${name}${suffix(2)}`",
      "}",
      "",
    ].join("\n"),
  });
  assert.match(await repro(p), /^ran greet: no previous run \(T\)\n1 ran, 0 up to date \(T\)\n$/);
  assert.equal(await p.read("data/ml/greet.txt"), "hello pivot!!");

  await edit(p, "stages.ts", "    const name", "    // who to greet\n\n    const name");
  await edit(p, "stages.ts", "{ return", "{\n  /* repeat */\n  return");
  assert.equal(await repro(p), "up to date greet\n0 ran, 1 up to date (T)\n");

  const fmt = await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--no-config", "stages.ts"],
    cwd: p.root,
    stderr: "piped",
  }).output();
  assert.ok(fmt.success, new TextDecoder().decode(fmt.stderr));
  assert.match(await p.read("stages.ts"), /^ {2}const name = "pivot";$/m);
  assert.equal(await repro(p), "up to date greet\n0 ran, 1 up to date (T)\n");

  await edit(p, "stages.ts", '"pivot"', '"world"');
  assert.equal(
    await repro(p, "--explain"),
    "ran greet: code changed (T)\n    code: greet() in stages.ts\n1 ran, 0 up to date (T)\n",
  );
  assert.equal(await p.read("data/ml/greet.txt"), "hello world!!");
});

Deno.test("a run of only run stages writes no params file (a function gets its params in its context)", async () => {
  await using tmp = await tempDir();
  await using p = await makeProject({
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  a:",
      "    run: stages.ts#listTemp",
      "    params: {lr: 0.1}",
      "    outs: json",
      "",
    ].join("\n"),
    "stages.ts": `export function listTemp(ctx: { params: unknown }) {
  return { params: ctx.params, temp: [...Deno.readDirSync(Deno.env.get("TMPDIR")!)].map((e) => e.name) };
}
`,
  });
  const result = await runPivot(p.root, ["repro"], { TMPDIR: tmp.path });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(timeless(result.stdout), "ran a: no previous run (T)\n1 ran, 0 up to date (T)\n");
  assert.deepEqual(JSON.parse(await p.read("data/ml/a.json")), { params: { lr: 0.1 }, temp: [] });
});

Deno.test("a run stage's process.env stays Node's live view of the environment, also after a YAML value was written in its worker", async () => {
  // `first` makes its worker load the YAML library; `envcheck` runs after it in the same
  // worker (-j 1) and sets a variable both ways, reading each back the other way.
  await using p = await makeProject({
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  first:",
      "    run: ./stages.ts#first",
      "    outs: yaml",
      "  envcheck:",
      "    run: ./stages.ts#envcheck",
      "    deps: {y: first}",
      "    outs: json",
      "",
    ].join("\n"),
    "stages.ts": [
      'import process from "node:process";',
      "export function first() {",
      "  return { a: 1 };",
      "}",
      "export function envcheck() {",
      '  Deno.env.set("PIVOT_TEST_SET_BY_DENO", "deno");',
      '  process.env.PIVOT_TEST_SET_BY_NODE = "node";',
      "  return {",
      "    node: process.env.PIVOT_TEST_SET_BY_DENO ?? null,",
      '    deno: Deno.env.get("PIVOT_TEST_SET_BY_NODE") ?? null,',
      "  };",
      "}",
      "",
    ].join("\n"),
  });
  await repro(p, "-j", "1");
  assert.deepEqual(JSON.parse(await p.read("data/ml/envcheck.json")), {
    node: "deno",
    deno: "node",
  });
});

// Workers take a function's job while running another (see `worker_pool.ts`): a job queued
// behind one that throws must neither fail with it nor start after a fail-fast failure.
Deno.test("with -j 2 a run stage that throws fails alone: keep-going runs every other stage, fail-fast blocks those not begun", async () => {
  const names = Array.from({ length: 30 }, (_, i) => `s${String(i).padStart(2, "0")}`);
  const throws = new Set(["s04", "s05", "s17"]);
  const project = () =>
    makeProject({
      "pivot.yaml": [
        "pipeline: ml",
        "stages:",
        ...names.flatMap((name) => [`  ${name}:`, `    run: ./s.ts#${name}`, "    outs: txt"]),
        "",
      ].join("\n"),
      "s.ts": names.map((name) =>
        throws.has(name)
          ? `export function ${name}() { throw new Error("${name} broke"); }\n`
          : `export const ${name} = () => "${name}";\n`
      ).join(""),
    });
  for (let trial = 0; trial < 3; trial++) {
    await using p = await project();
    const kept = await runPivotInProcess(p.root, ["repro", "-k", "-j", "2"]);
    assert.equal(kept.code, 1, kept.stderr);
    assert.match(timeless(kept.stdout), /^27 ran, 0 up to date, 3 failed \(T\)\n$/m);
    const failures = kept.stderr.split("\n").filter((line) => line.startsWith("FAILED"))
      .map((line) => timeless(line)).sort();
    assert.deepEqual(failures, [
      "FAILED s04: Error: s04 broke (T)",
      "FAILED s05: Error: s05 broke (T)",
      "FAILED s17: Error: s17 broke (T)",
    ]);
    for (const name of names) {
      assert.equal(await p.exists(lockRel("ml", name)), !throws.has(name), name);
    }
    await using q = await project();
    const fast = await runPivotInProcess(q.root, ["repro", "-j", "2", "--json"]);
    assert.equal(fast.code, 1, fast.stderr);
    const ends = [...completions(jsonEvents(fast.stdout)).values()];
    assert.equal(ends.length, 30);
    const failed = ends.filter((end) => end.status === "failed");
    // Only stages that throw fail (those begun before the first failure was known), each
    // with its own error; the stages not begun by then are blocked.
    assert.ok(failed.length >= 1, JSON.stringify(ends));
    for (const end of failed) {
      assert.ok(throws.has(end.stage!), end.stage);
      assert.equal(end.reason, `Error: ${end.stage} broke`);
    }
    assert.ok(ends.some((end) => end.status === "blocked"), JSON.stringify(ends));
    assert.ok(ends.every((end) => ["ran", "failed", "blocked"].includes(end.status!)));
  }
});

/**
 * Runs `repro -q` in `p` with a first `PATH` directory the system refuses
 * to search (a name too long), and asserts that it ends within 30 s,
 * successfully and quietly.
 */
async function assertReproWithUnsearchablePath(p: TempProject): Promise<void> {
  const unsearchable = `/${"x".repeat(5000)}`;
  const child = pivotCommand(p.root, ["repro", "-q"], {
    env: { PATH: `${unsearchable}:${Deno.env.get("PATH") ?? ""}` },
  }).spawn();
  // Killed (its worker threads with it) if it does not end, so a failure leaves nothing behind.
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const output = await child.output();
  clearTimeout(timer);
  const decoder = new TextDecoder();
  assert.deepEqual(
    {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    },
    { code: 0, stdout: "", stderr: "" },
    "the run ends within 30 s, successfully and quietly",
  );
}

// A worker looks for `sh` and `setsid` on PATH only for its first command: one running stage
// functions never does, so a PATH it could not search (a directory whose name the system
// refuses as too long) keeps no run stage from running. (Before, the search ran as every
// worker started, threw, and the run started worker after worker without ever finishing.)
Deno.test("run stages run with a PATH whose first directory cannot be searched", async () => {
  await using p = await makeProject({
    "pipeline.ts": [
      "export default {",
      '  pipeline: "ml",',
      "  stages: {",
      '    shout: { deps: { word: "word.txt" }, outs: "txt",',
      "      run: ({ deps }: { deps: { word: string } }) => Deno.readTextFileSync(deps.word).toUpperCase() },",
      "  },",
      "};",
      "",
    ].join("\n"),
    "word.txt": "hello\n",
  });
  await assertReproWithUnsearchablePath(p);
  assert.equal(await p.read("data/ml/shout.txt"), "HELLO\n");
});

Deno.test("cmd stages run with a PATH whose first directory cannot be searched", async () => {
  await using p = await makeProject({
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  shout:",
      "    deps: {word: word.txt}",
      "    outs: txt",
      "    cmd: tr a-z A-Z < ${deps.word} > ${outs}",
      "",
    ].join("\n"),
    "word.txt": "hello\n",
  });
  await assertReproWithUnsearchablePath(p);
  assert.equal(await p.read("data/ml/shout.txt"), "HELLO\n");
});

Deno.test("a run stage may freeze its ctx.deps and print it: it sees the values, as before they were read lazily", async () => {
  await using p = await makeProject({
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  make:",
      "    cmd: printf '{\"k\":[1,2]}' > ${outs}",
      "    outs: json",
      "  use:",
      "    run: ./stages.ts#use",
      "    deps: {j: make, raw: note.txt}",
      "    outs: json",
      "",
    ].join("\n"),
    "note.txt": "hello\n",
    "stages.ts": `// deno-lint-ignore-file no-explicit-any
export function use(ctx: any) {
  ctx.log(ctx.deps);
  const deps = Object.freeze(ctx.deps);
  return { sum: deps.j.k[0] + deps.j.k[1], raw: deps.raw === ctx.paths.deps.raw };
}
`,
  });
  const result = await runPivotInProcess(p.root, ["repro"]);
  assert.equal(result.code, 0, result.stderr);
  // Printed as the plain object of the values is (not `{ j: [Getter/Setter], … }`).
  const printed = Deno.inspect({ j: { k: [1, 2] }, raw: p.path("note.txt") });
  assert.ok(result.stdout.includes(`${printed}\n`), result.stdout);
  assert.deepEqual(JSON.parse(await p.read("data/ml/use.json")), { sum: 3, raw: true });
});
