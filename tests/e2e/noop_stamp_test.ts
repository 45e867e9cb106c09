/**
 * The no-op fast path end to end: a `repro` that finds every stage up to date
 * leaves a stamp, `runFastNoop` answers the same command from it while
 * nothing it recorded changed, and falls through (null) once anything did,
 * after which the full command line reacts to the change.
 *
 * A fresh run that ends with every stage up to date leaves the stamp itself
 * (files settle within the racy window of file systems keeping times to the
 * nanosecond, 20 ms), so the very first no-op after it is answered from the
 * stamp. The slow no-ops the fast path is compared with run after their
 * stamps are forgotten.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { NOOP_STAMPS_KEPT, noopStampKey, type NoopStampQuery } from "../../src/ops/noop_stamp.ts";
import { hashBytes, serializePvt } from "../../src/storage/mod.ts";
import { FINE_RACY_WINDOW_MS } from "../../src/storage/racy_window.ts";
import { StateDb } from "../../src/storage/state_db.ts";
import {
  type FastNoopResult,
  runFastNoopInProcess,
  runPivotInProcess,
} from "../_helpers/in_process.ts";
import { type CliResult, makeProject, type TempProject } from "../_helpers/project.ts";
import { type JsonEvent, jsonEvents, lockRel, timeless } from "./_fixtures/engine.ts";

/**
 * prep (file input) → train (params, cached file output); tree (directory
 * output); gather (directory input with a nested directory).
 */
const CMD_YAML = `pipeline: ml
stages:
  prep:
    cmd: cp \${deps.raw} \${outs}
    deps: {raw: raw.csv}
    outs: csv
  train:
    cmd: echo "lr=\${params.lr}" > \${outs.model} && cat \${deps.data} >> \${outs.model}
    deps: {data: prep}
    outs: {model: txt}
    params: {lr: 0.1}
  tree:
    cmd: mkdir -p \${outs}/sub && echo a > \${outs}/a.txt && echo b > \${outs}/sub/b.txt
    outs: dir
  gather:
    cmd: cat \${deps.folder}/a.txt \${deps.folder}/deep/b.txt > \${outs}
    deps: {folder: inputs}
    outs: txt
`;

const CMD_FILES: Record<string, string> = {
  "pivot.yaml": CMD_YAML,
  "raw.csv": "a,b\n1,2\n",
  "inputs/a.txt": "a\n",
  "inputs/deep/b.txt": "b\n",
};

const CMD_UP_TO_DATE = "up to date prep\nup to date train\nup to date tree\nup to date gather\n";

/** CMD_YAML plus a TypeScript stage whose module imports a helper module. */
const RUN_FILES: Record<string, string> = {
  ...CMD_FILES,
  "pivot.yaml": `${CMD_YAML}  summarize:
    run: ./stages.ts#summarize
    deps: {model: train:model}
    outs: json
`,
  "stages.ts": `import { shout } from "./helper.ts";

export function summarize({ deps }: { deps: { model: string } }) {
  return { summary: shout(deps.model) };
}
`,
  "helper.ts": `export function shout(text: string): string {
  return text.trim().toUpperCase();
}
`,
};

const RUN_UP_TO_DATE = `${CMD_UP_TO_DATE}up to date summarize\n`;

/**
 * A case's mutation and check where raw.csv gets a `.pvt` recording content
 * the workspace and the cache lack: `repro` refuses to run.
 */
const PVT_NOT_MATCHED = {
  mutate: (p: TempProject) =>
    p.write(
      "raw.csv.pvt",
      serializePvt({ path: "raw.csv", info: { hash: hashBytes("a,b\n5,6\n") }, size: 8 }),
    ),
  react: ["repro"],
  reactCode: 1,
  check: (result: CliResult) => {
    assert.equal(result.stdout, "");
    assert.equal(
      result.stderr,
      "error: tracked input does not match its .pvt file, so nothing was run:\n" +
        "  raw.csv (read by prep): modified, and the cache does not hold its recorded content\n" +
        "hint: `pivot track --force raw.csv` records the workspace's content (the recorded " +
        "version is in no cache here; a remote with it, 'pivot remote add', lets " +
        "`pivot pull raw.csv` fetch it)\n",
    );
  },
};

/** CMD_FILES with outputs checked out as copies of their blobs. */
const COPY_FILES: Record<string, string> = {
  ...CMD_FILES,
  ".pivot/config.yaml": "cache:\n  checkout_mode: copy\n",
};

/** The project-relative path of the blob of `content` in the default cache. */
function blobRel(content: string): string {
  const hash = hashBytes(content);
  return `.pivot/cache/files/${hash.slice(0, 2)}/${hash.slice(2)}`;
}

/**
 * A pipeline.ts project whose loading reads only its own files: it gets a
 * stamp like a YAML one (tests/ops/pipeline_ts_stamp_test.ts has the rest).
 */
const PIPELINE_TS_FILES: Record<string, string> = {
  "pipeline.ts": `export default {
  pipeline: "tsp",
  stages: {
    hello: { outs: "txt", run: () => "hello\\n" },
  },
};
`,
};

/**
 * Calls `runFastNoop(args)`, as `main.ts` does, in `cwd` with `NO_COLOR` and
 * the variables of `env` (in this process: the variables reach it through its
 * io, never through the environment that other test files share).
 */
function fast(
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = {},
): FastNoopResult {
  return runFastNoopInProcess(cwd, args, env);
}

/** The stamp stored in the project at `root` for `query`, or null. */
function storedStamp(root: string, query: Partial<NoopStampQuery> = {}): string | null {
  const db = StateDb.openExisting(path.join(root, ".pivot"));
  try {
    return db.getNoopStamp(
      noopStampKey({
        mode: "repro",
        all: false,
        targets: [],
        cwd: root,
        env: (name) => Deno.env.get(name),
        ...query,
      }),
    );
  } finally {
    db.close();
  }
}

/** Waits out the racy window of file systems keeping times to the nanosecond. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, FINE_RACY_WINDOW_MS + 30));
}

/** Forgets the stamp of `query` in the project at `root`, so that the next such command goes the slow path. */
function forgetStamp(root: string, query: Partial<NoopStampQuery> = {}): void {
  const db = StateDb.openExisting(path.join(root, ".pivot"));
  try {
    db.putNoopStamp(
      noopStampKey({
        mode: "repro",
        all: false,
        targets: [],
        cwd: root,
        env: (name) => Deno.env.get(name),
        ...query,
      }),
      null,
      NOOP_STAMPS_KEPT,
    );
  } finally {
    db.close();
  }
}

/**
 * Runs the CLI in this process and asserts that it succeeded without
 * warnings. Each run has a session of its own (its code fingerprints and the
 * files they were read from), so projects with stage code run here as well.
 */
async function pivotOk(
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const result = await runPivotInProcess(cwd, args, env);
  assert.equal(result.code, 0, `pivot ${args.join(" ")} in ${cwd}: ${result.stderr}`);
  assert.equal(result.stderr, "", `pivot ${args.join(" ")} in ${cwd}`);
  return result;
}

/** Replaces `from` (which must occur) by `to` in the project file `rel`. */
async function edit(p: TempProject, rel: string, from: string, to: string): Promise<void> {
  const text = await p.read(rel);
  assert.ok(text.includes(from), `${rel} holds ${from}`);
  await p.write(rel, text.replace(from, to));
}

/** Replaces the file at `rel` by a new file holding `content` (outputs may be cache hardlinks). */
async function replaceFile(p: TempProject, rel: string, content: string): Promise<void> {
  await Deno.remove(p.path(rel));
  await p.write(rel, content);
}

/**
 * Run output as a multiset: stages complete in no fixed order, so each stage's
 * line with its detail lines is one block, sorted; timings are masked.
 */
function unordered(stdout: string): string[] {
  const blocks: string[] = [];
  for (const line of timeless(stdout).split("\n")) {
    if (line.startsWith("    ") && blocks.length > 0) blocks[blocks.length - 1] += `\n${line}`;
    else blocks.push(line);
  }
  return blocks.sort();
}

/** Asserts that `result` printed `expected`, stages in any order. */
function assertRunOutput(result: CliResult, expected: string): void {
  assert.match(result.stdout, /\n$/);
  assert.deepEqual(unordered(result.stdout), unordered(expected));
  // The summary comes last.
  assert.equal(timeless(result.stdout).split("\n").at(-2), expected.split("\n").at(-2));
}

/** JSON events without their durations, which differ between runs. */
function withoutDurations(events: readonly JsonEvent[]): Record<string, unknown>[] {
  return events.map(({ duration_ms: _, ...rest }) => rest);
}

/** One change after the stamp: the fast path must fall through and the full CLI react. */
interface Mutation {
  readonly name: string;
  readonly files: Record<string, string>;
  /** Where the commands run, relative to the project root. @default {"."} */
  readonly cwd?: string;
  /** The command (its stamp and the fast call). @default {["repro"]} */
  readonly args?: readonly string[];
  /** Other command lines the stamp answers before the change. @default {[]} */
  readonly alsoAnswers?: readonly (readonly string[])[];
  /** Variables set for every command in the project. @default {{}} */
  readonly env?: (p: TempProject) => Record<string, string>;
  readonly mutate: (p: TempProject) => Promise<void>;
  /** The full CLI run after the change (`null`: none); its output is checked by `check`. */
  readonly react: readonly string[] | null;
  /** Its exit status (stderr must be empty when 0). @default {0} */
  readonly reactCode?: number;
  readonly check: (result: CliResult, p: TempProject) => Promise<void> | void;
  /**
   * Whether the reaction, when it ran stages, leaves a stamp. Not when its stages write into
   * directories of the project-wide search (which are evidence from before the run: a pipeline
   * file could have appeared in them); the next no-op does. @default {true}
   */
  readonly stampsAfterRunning?: boolean;
}

const MUTATIONS: readonly Mutation[] = [
  {
    name: "an input edited in place to the same size",
    files: CMD_FILES,
    mutate: async (p) => {
      const before = await Deno.stat(p.path("raw.csv"));
      await Deno.writeTextFile(p.path("raw.csv"), "a,b\n3,4\n");
      const after = await Deno.stat(p.path("raw.csv"));
      assert.equal(after.size, before.size);
      assert.equal(after.ino, before.ino);
    },
    react: ["repro", "--explain"],
    check: async (result, p) => {
      assertRunOutput(
        result,
        "ran prep: inputs changed (T)\n" +
          "    input: raw.csv changed\n" +
          "ran train: inputs changed (T)\n" +
          "    input: prep → data/ml/prep.csv changed\n" +
          "up to date tree\n" +
          "up to date gather\n" +
          "2 ran, 2 up to date (T)\n",
      );
      assert.equal(await p.read("data/ml/train/model.txt"), "lr=0.1\na,b\n3,4\n");
    },
  },
  {
    name: "a file inside a nested directory of a directory input edited to the same size",
    files: CMD_FILES,
    mutate: (p) => Deno.writeTextFile(p.path("inputs/deep/b.txt"), "B\n"),
    react: ["repro"],
    check: async (result, p) => {
      assertRunOutput(
        result,
        "up to date prep\nup to date train\nup to date tree\n" +
          "ran gather: inputs changed (T)\n1 ran, 3 up to date (T)\n",
      );
      assert.equal(await p.read("data/ml/gather.txt"), "a\nB\n");
    },
  },
  {
    name: "the command of a stage edited in pivot.yaml",
    files: CMD_FILES,
    mutate: (p) => edit(p, "pivot.yaml", 'echo "lr=', 'echo "LR='),
    react: ["repro", "--explain"],
    check: async (result, p) => {
      assertRunOutput(
        result,
        "up to date prep\n" +
          "ran train: code changed (T)\n" +
          "    code: the command\n" +
          "up to date tree\n" +
          "up to date gather\n" +
          "1 ran, 3 up to date (T)\n",
      );
      assert.equal(await p.read("data/ml/train/model.txt"), "LR=0.1\na,b\n1,2\n");
    },
  },
  {
    name: "a params.yaml overriding a stage's param",
    files: CMD_FILES,
    mutate: (p) => p.write("params.yaml", "train:\n  lr: 0.2\n"),
    react: ["repro", "--explain"],
    check: async (result, p) => {
      assertRunOutput(
        result,
        "up to date prep\n" +
          "ran train: params changed (T)\n" +
          "    params: lr: 0.1 → 0.2\n" +
          "up to date tree\n" +
          "up to date gather\n" +
          "1 ran, 3 up to date (T)\n",
      );
      assert.equal(await p.read("data/ml/train/model.txt"), "lr=0.2\na,b\n1,2\n");
    },
  },
  {
    name: "a cached output deleted",
    files: CMD_FILES,
    mutate: (p) => Deno.remove(p.path("data/ml/train/model.txt")),
    react: ["repro"],
    check: async (result, p) => {
      assertRunOutput(
        result,
        "up to date prep\n" +
          "restored train: outputs restored from the cache\n" +
          "up to date tree\n" +
          "up to date gather\n" +
          "0 ran, 3 up to date, 1 restored (T)\n",
      );
      assert.equal(await p.read("data/ml/train/model.txt"), "lr=0.1\na,b\n1,2\n");
    },
  },
  {
    name: "a cached output replaced by different content",
    files: CMD_FILES,
    mutate: (p) => replaceFile(p, "data/ml/train/model.txt", "tampered\n"),
    react: ["repro"],
    check: async (result, p) => {
      assertRunOutput(
        result,
        "up to date prep\n" +
          // The run cache has the recorded outputs of these inputs.
          "restored train: restored from the run cache (output train:model → data/ml/train/model.txt was modified)\n" +
          "up to date tree\n" +
          "up to date gather\n" +
          "0 ran, 3 up to date, 1 restored (T)\n",
      );
      assert.equal(await p.read("data/ml/train/model.txt"), "lr=0.1\na,b\n1,2\n");
    },
  },
  {
    // Hardlinked outputs lose a link (their ctime changes), which the stamp sees.
    name: "the cache deleted",
    files: CMD_FILES,
    mutate: (p) => Deno.remove(p.path(".pivot/cache"), { recursive: true }),
    react: ["repro"],
    check: async (result, p) => {
      assertRunOutput(
        result,
        "restored prep: content re-cached from the workspace\n" +
          "restored train: content re-cached from the workspace\n" +
          "restored tree: content re-cached from the workspace\n" +
          "restored gather: content re-cached from the workspace\n" +
          "0 ran, 0 up to date, 4 restored (T)\n",
      );
      const blob = await Deno.stat(p.path(blobRel("lr=0.1\na,b\n1,2\n")));
      assert.equal((await Deno.stat(p.path("data/ml/train/model.txt"))).ino, blob.ino);
    },
  },
  {
    // Copies share no inode with their blobs: deleting the cache leaves every output's
    // signature as it was, so only the cache directories in the stamp can notice it.
    name: "the cache deleted, with outputs checked out as copies",
    files: COPY_FILES,
    mutate: (p) => Deno.remove(p.path(".pivot/cache"), { recursive: true }),
    react: ["repro"],
    check: async (result, p) => {
      assertRunOutput(
        result,
        "restored prep: content re-cached from the workspace\n" +
          "restored train: content re-cached from the workspace\n" +
          "restored tree: content re-cached from the workspace\n" +
          "restored gather: content re-cached from the workspace\n" +
          "0 ran, 0 up to date, 4 restored (T)\n",
      );
      assert.equal(await p.read(blobRel("lr=0.1\na,b\n1,2\n")), "lr=0.1\na,b\n1,2\n");
    },
  },
  {
    name: "a blob moved aside as corrupt, with outputs checked out as copies",
    files: COPY_FILES,
    mutate: (p) =>
      Deno.rename(
        p.path(blobRel("lr=0.1\na,b\n1,2\n")),
        p.path(`${blobRel("lr=0.1\na,b\n1,2\n")}.corrupt`),
      ),
    react: ["repro"],
    check: async (result, p) => {
      assertRunOutput(
        result,
        "up to date prep\n" +
          "restored train: content re-cached from the workspace\n" +
          "up to date tree\n" +
          "up to date gather\n" +
          "0 ran, 3 up to date, 1 restored (T)\n",
      );
      assert.equal(await p.read(blobRel("lr=0.1\na,b\n1,2\n")), "lr=0.1\na,b\n1,2\n");
    },
  },
  {
    name: "the .pvt of a tracked input replaced by another version",
    files: {
      ...CMD_FILES,
      "raw.csv.pvt": serializePvt({
        path: "raw.csv",
        info: { hash: hashBytes("a,b\n1,2\n") },
        size: 8,
      }),
    },
    ...PVT_NOT_MATCHED,
  },
  {
    name: "a .pvt file created for an input that had none",
    files: CMD_FILES,
    ...PVT_NOT_MATCHED,
  },
  {
    name: "a .pvt file created for a directory above an input",
    files: {
      "pivot.yaml": "pipeline: ml\nstages:\n  prep:\n    cmd: cp ${deps.raw} ${outs}\n" +
        "    deps: {raw: src/in/raw.csv}\n    outs: csv\n",
      "src/in/raw.csv": "a,b\n1,2\n",
      "src/in/other.csv": "c\n",
    },
    mutate: (p) =>
      p.write(
        "src/in.pvt",
        serializePvt({ path: "in", info: { hash: hashBytes("a,b\n5,6\n") }, size: 8 }),
      ),
    react: null,
    check: () => {},
  },
  {
    name: "a lock file deleted",
    files: CMD_FILES,
    mutate: (p) => Deno.remove(p.path(lockRel("ml", "train"))),
    react: ["repro"],
    check: async (result, p) => {
      assertRunOutput(
        result,
        "up to date prep\n" +
          "restored train: restored from the run cache (no previous run)\n" +
          "up to date tree\n" +
          "up to date gather\n" +
          "0 ran, 3 up to date, 1 restored (T)\n",
      );
      assert.equal(await p.exists(lockRel("ml", "train")), true);
    },
  },
  {
    name: "a file added inside a directory output",
    files: CMD_FILES,
    mutate: async (p) => {
      const dir = p.path("data/ml/tree/sub");
      await Deno.chmod(dir, 0o755);
      await Deno.writeTextFile(path.join(dir, "extra.txt"), "extra\n");
    },
    react: ["repro"],
    check: async (result, p) => {
      assertRunOutput(
        result,
        "up to date prep\n" +
          "up to date train\n" +
          "restored tree: restored from the run cache (output tree → data/ml/tree/ was modified)\n" +
          "up to date gather\n" +
          "0 ran, 3 up to date, 1 restored (T)\n",
      );
      assert.equal(await p.exists("data/ml/tree/sub/extra.txt"), false);
      assert.equal(await p.read("data/ml/tree/sub/b.txt"), "b\n");
    },
  },
  {
    name: "a helper module imported by a TypeScript stage's module edited",
    files: RUN_FILES,
    mutate: (p) => edit(p, "helper.ts", "toUpperCase", "toLowerCase"),
    react: ["repro", "--explain"],
    check: async (result, p) => {
      assertRunOutput(
        result,
        `${CMD_UP_TO_DATE}ran summarize: code changed (T)\n` +
          "    code: shout() in helper.ts\n" +
          "1 ran, 4 up to date (T)\n",
      );
      assert.deepEqual(JSON.parse(await p.read("data/ml/summarize.json")), {
        summary: "lr=0.1\na,b\n1,2",
      });
    },
  },
  {
    name: "a project config file created",
    files: CMD_FILES,
    mutate: (p) => p.write(".pivot/config.yaml", "core:\n  jobs: 2\n"),
    react: ["repro"],
    check: (result) => {
      assertRunOutput(result, `${CMD_UP_TO_DATE}0 ran, 4 up to date (T)\n`);
    },
  },
  {
    name: "a pivot.yml added next to pivot.yaml",
    files: CMD_FILES,
    mutate: (p) => p.write("pivot.yml", "pipeline: other\nstages: {}\n"),
    react: ["repro"],
    // pivot.yaml wins over pivot.yml.
    check: (result) => assertRunOutput(result, `${CMD_UP_TO_DATE}0 ran, 4 up to date (T)\n`),
  },
  {
    name: "a pipeline.ts added next to pivot.yaml",
    files: CMD_FILES,
    mutate: (p) => p.write("pipeline.ts", "export default { stages: {} };\n"),
    react: ["repro"],
    reactCode: 1,
    check: (result, p) => {
      assert.equal(result.stdout, "");
      assert.equal(
        result.stderr,
        `error: ${p.path("pivot.yaml")} and ${p.path("pipeline.ts")} both define a pipeline\n` +
          "hint: keep one pipeline file per directory\n",
      );
    },
  },
  {
    // The full CLI is not run: it would wait for the "running" stage.
    name: "a stage's running sentinel created",
    files: CMD_FILES,
    mutate: (p) => p.write(".pivot/stages/ml/train.running", `${Deno.pid}\n`),
    react: null,
    check: () => {},
  },
  {
    name: "a pipeline file created in the (pipeline-less) directory the command runs in",
    files: { ...CMD_FILES, "notes/readme.txt": "notes\n" },
    cwd: "notes",
    mutate: (p) =>
      p.write(
        "notes/pivot.yaml",
        "pipeline: notes\nstages:\n  jot:\n    cmd: echo jot > ${outs}\n    outs: txt\n",
      ),
    react: ["repro"],
    check: async (result, p) => {
      assertRunOutput(result, "ran jot: no previous run (T)\n1 ran, 0 up to date (T)\n");
      assert.equal(await p.read("notes/data/notes/jot.txt"), "jot\n");
    },
  },
  {
    name: "a new pipeline file in an existing directory, under --all",
    stampsAfterRunning: false,
    files: { ...CMD_FILES, "extra/readme.txt": "extra\n" },
    args: ["repro", "--all"],
    alsoAnswers: [["repro", "-a"], ["-q", "repro", "-e", "--all", "-k"]],
    mutate: (p) =>
      p.write(
        "extra/pivot.yaml",
        "pipeline: extra\nstages:\n  more:\n    cmd: echo more > ${outs}\n    outs: txt\n",
      ),
    react: ["repro", "--all"],
    check: async (result, p) => {
      assertRunOutput(
        result,
        `${CMD_UP_TO_DATE}ran more: no previous run (T)\n1 ran, 4 up to date (T)\n`,
      );
      assert.equal(await p.read("extra/data/extra/more.txt"), "more\n");
    },
  },
  {
    name: "the file of a sub-pipeline that provides an input edited",
    stampsAfterRunning: false,
    files: {
      "pivot.yaml": "pipeline: top\nstages:\n  use:\n    cmd: cat ${deps.c} > ${outs}\n" +
        "    deps: {c: prep/clean}\n    outs: txt\n",
      "prep/pivot.yaml": "pipeline: prep\nstages:\n  clean:\n" +
        "    cmd: tr a-z A-Z < ${deps.raw} > ${outs}\n    deps: {raw: raw.txt}\n    outs: txt\n",
      "prep/raw.txt": "hello\n",
    },
    mutate: (p) => edit(p, "prep/pivot.yaml", "tr a-z A-Z", "tr a-k A-K"),
    react: ["repro"],
    check: async (result, p) => {
      assertRunOutput(
        result,
        "ran prep/clean: code changed (T)\nran use: inputs changed (T)\n2 ran, 0 up to date (T)\n",
      );
      assert.equal(await p.read("data/top/use.txt"), "HEllo\n");
    },
  },
  {
    name: "the .gitignore of cached outputs deleted",
    files: CMD_FILES,
    mutate: (p) => Deno.remove(p.path("data/ml/.gitignore")),
    react: ["repro"],
    check: async (result, p) => {
      assertRunOutput(result, `${CMD_UP_TO_DATE}0 ran, 4 up to date (T)\n`);
      assert.match(await p.read("data/ml/.gitignore"), /^\/train\/model\.txt$/m);
    },
  },
  {
    name: "a user config file created",
    files: CMD_FILES,
    env: (p) => ({ XDG_CONFIG_HOME: p.path("xdg") }),
    mutate: (p) => p.write("xdg/pivot/config.yaml", "core:\n  jobs: 1\n"),
    react: ["repro"],
    check: (result) => {
      assertRunOutput(result, `${CMD_UP_TO_DATE}0 ran, 4 up to date (T)\n`);
    },
  },
  {
    name: "a vars file of the pipeline edited",
    files: {
      "pivot.yaml": "pipeline: ml\nvars: [vars.yaml]\nstages:\n  greet:\n" +
        '    cmd: echo "${greeting}" > ${outs}\n    outs: txt\n',
      "vars.yaml": "greeting: hello\n",
    },
    mutate: (p) => p.write("vars.yaml", "greeting: howdy\n"),
    react: ["repro"],
    check: async (result, p) => {
      assertRunOutput(result, "ran greet: code changed (T)\n1 ran, 0 up to date (T)\n");
      assert.equal(await p.read("data/ml/greet.txt"), "howdy\n");
    },
  },
];

Deno.test("no-op stamps: the fast path answers an unchanged no-op repro and falls through on any change", async (t) => {
  // ---- Setup: every project, fresh runs at once (each leaves its stamp), then slow no-ops.
  await using baseline = await makeProject(RUN_FILES);
  // The same project again, for the slow path's --json output (the stamp would answer it here).
  await using twin = await makeProject(RUN_FILES);
  await using tsProject = await makeProject(PIPELINE_TS_FILES);
  // Its stamp comes from `run train`.
  await using runProject = await makeProject(CMD_FILES);
  const mutated: {
    m: Mutation;
    p: TempProject;
    cwd: string;
    args: readonly string[];
    env: Record<string, string>;
  }[] = [];
  await using _cleanup = {
    [Symbol.asyncDispose]: async () => {
      await Promise.all(mutated.map(({ p }) => p[Symbol.asyncDispose]()));
    },
  };
  for (const m of MUTATIONS) {
    const p = await makeProject(m.files);
    mutated.push({
      m,
      p,
      cwd: p.path(m.cwd ?? "."),
      args: m.args ?? ["repro"],
      env: m.env?.(p) ?? {},
    });
  }

  // Pipeline files written within the racy window before a run are no evidence for its stamp.
  await settle();
  const fresh = await Promise.all([
    pivotOk(baseline.root, ["repro"]),
    pivotOk(twin.root, ["repro"]),
    pivotOk(tsProject.root, ["repro"]),
    pivotOk(runProject.root, ["repro"]),
    ...mutated.map(({ cwd, args, env }) => pivotOk(cwd, args, env)),
  ]);
  assert.match(timeless(fresh[0]!.stdout), /^5 ran, 0 up to date \(T\)\n$/m);
  assert.equal(
    timeless(fresh[2]!.stdout),
    "ran hello: no previous run (T)\n1 ran, 0 up to date (T)\n",
  );
  // A run that ran stages, all successfully, leaves the stamp of its command.
  assert.notEqual(storedStamp(baseline.root), null);
  assert.notEqual(storedStamp(twin.root), null);
  // The slow path for the no-ops the fast path is compared with.
  forgetStamp(baseline.root);
  forgetStamp(twin.root);

  // A project whose no-op repro follows its fresh run at once.
  const afterFreshRun = async () => {
    await using p = await makeProject(CMD_FILES);
    await settle();
    const first = await pivotOk(p.root, ["repro"]);
    assert.match(timeless(first.stdout), /^4 ran, 0 up to date \(T\)\n$/m);
    return { afterFresh: await fast(p.root, ["repro"]), again: await fast(p.root, ["repro"]) };
  };
  const firstNoop = await afterFreshRun();

  const [slowPlain, slowJson, slowTs, slowRun, ...slowMutated] = await Promise.all([
    pivotOk(baseline.root, ["repro"]),
    pivotOk(twin.root, ["repro", "--json"]),
    pivotOk(tsProject.root, ["repro"]),
    pivotOk(runProject.root, ["run", "train"]),
    ...mutated.map(({ cwd, args, env }) => pivotOk(cwd, args, env)),
  ]);

  await t.step("the slow no-op runs found every stage up to date", () => {
    assertRunOutput(slowPlain!, `${RUN_UP_TO_DATE}0 ran, 5 up to date (T)\n`);
    assert.equal(timeless(slowTs!.stdout), "up to date hello\n0 ran, 1 up to date (T)\n");
    assert.equal(timeless(slowRun!.stdout), "up to date train\n0 ran, 1 up to date (T)\n");
    const statuses = jsonEvents(slowJson!.stdout).filter((e) => e.type === "stage_complete")
      .map((e) => `${e.stage} ${e.status}`);
    assert.deepEqual(statuses.sort(), [
      "gather skipped",
      "prep skipped",
      "summarize skipped",
      "train skipped",
      "tree skipped",
    ]);
    slowMutated.forEach((result, i) => {
      assert.match(result.stdout, /^0 ran, \d+ up to date \(\d+\.\ds\)\n$/m, mutated[i]!.m.name);
      assert.doesNotMatch(result.stdout, /^ran /m, mutated[i]!.m.name);
    });
  });

  await t.step("the first no-op right after a fresh run is answered from the stamp", () => {
    for (const answer of [firstNoop.afterFresh, firstNoop.again]) {
      assert.equal(answer.code, 0);
      assert.equal(answer.stderr, "");
      assertRunOutput(answer as CliResult, `${CMD_UP_TO_DATE}0 ran, 4 up to date (T)\n`);
    }
  });

  await t.step("a pipeline.ts project is answered from its stamp", async () => {
    assert.notEqual(storedStamp(tsProject.root), null);
    const answer = await fast(tsProject.root, ["repro"]);
    assert.equal(answer.code, 0);
    assert.equal(answer.stderr, "");
    assert.equal(timeless(answer.stdout), timeless(slowTs!.stdout));
  });

  await t.step({
    name: "--json: the same bytes as the slow no-op's, durations aside",
    fn: async () => {
      const json = await fast(twin.root, ["repro", "--json"]);
      assert.equal(json.code, 0);
      const masked = (text: string) => text.replace(/"duration_ms":\d+/g, '"duration_ms":0');
      assert.equal(masked(json.stdout), masked(slowJson!.stdout));
    },
  });

  await t.step("run STAGES: answered from the stamp of the same run command only", async () => {
    const nothing = { code: null, stdout: "", stderr: "" };
    // The fresh repro left the stamp of `repro`; other stage lists have none.
    for (const args of [["repro", "train"], ["run", "prep"], ["run", "train", "prep"]]) {
      assert.deepEqual(await fast(runProject.root, args), nothing, args.join(" "));
    }
    const answered = await fast(runProject.root, ["run", "train", "-e"]);
    assert.equal(answered.code, 0);
    assert.equal(answered.stderr, "");
    assert.equal(timeless(answered.stdout), timeless(slowRun!.stdout));
  });

  // Fast runs answered in the baseline project (each is one more run in its history).
  let fastRuns = 0;
  await t.step(
    "the fast path prints what the slow no-op that wrote the stamp printed",
    async () => {
      assert.notEqual(storedStamp(baseline.root), null);
      const plain = await fast(baseline.root, ["repro"]);
      assert.equal(plain.code, 0);
      fastRuns++;
      assert.equal(plain.stderr, "");
      assert.match(plain.stdout, /\n0 ran, 5 up to date \(\d+\.\ds\)\n$/);
      // The same lines in the same order: only the time may differ.
      assert.equal(timeless(plain.stdout), timeless(slowPlain!.stdout));

      // Options outside the stamp's key: the same answer (nothing runs, nothing to explain).
      for (
        const args of [["repro", "-e"], ["repro", "-k", "-j", "3"], ["repro", "--jobs=1", "-k"]]
      ) {
        const same = await fast(baseline.root, args);
        assert.equal(same.code, 0, args.join(" "));
        fastRuns++;
        assert.equal(same.stderr, "", args.join(" "));
        assert.equal(timeless(same.stdout), timeless(slowPlain!.stdout), args.join(" "));
      }

      for (const args of [["repro", "-q"], ["-q", "repro"], ["repro", "--quiet", "-e"]]) {
        const quiet = await fast(baseline.root, args);
        assert.equal(quiet.code, 0, args.join(" "));
        fastRuns++;
        assert.deepEqual([quiet.stdout, quiet.stderr], ["", ""], args.join(" "));
      }
    },
  );

  await t.step("--json: the same events as the slow no-op's, in the same order", async () => {
    // The twin's stamp was written by `repro --json`; its key is that of `repro`.
    const slowEvents = jsonEvents(slowJson!.stdout);
    for (
      const args of [["repro", "--json"], ["-q", "repro", "--json"], ["repro", "-e", "--json"]]
    ) {
      const json = await fast(twin.root, args);
      assert.equal(json.code, 0, args.join(" "));
      assert.equal(json.stderr, "", args.join(" "));
      const events = jsonEvents(json.stdout);
      assert.ok(events.every((e) => typeof e.duration_ms === "number"), json.stdout);
      assert.deepEqual(withoutDurations(events), withoutDurations(slowEvents), args.join(" "));
    }
  });

  await t.step("other commands, flags and environments do not use the stamp", async () => {
    const nothing = { code: null, stdout: "", stderr: "" };
    const other: string[][] = [
      ["repro", "train"],
      ["repro", "summarize"],
      ["run", "train"],
      ["repro", "--all"],
      ["repro", "--force"],
      ["repro", "-v"],
      ["-v", "repro"],
      ["repro", "--dry-run"],
      ["repro", "--no-commit"],
      ["status"],
    ];
    for (const args of other) {
      assert.deepEqual(await fast(baseline.root, args), nothing, args.join(" "));
    }
    const cacheBefore = Deno.env.get("PIVOT_CACHE_DIR");
    const cache = path.join(baseline.root, "elsewhere-cache");
    assert.deepEqual(await fast(baseline.root, ["repro"], { PIVOT_CACHE_DIR: cache }), nothing);
    assert.equal(Deno.env.get("PIVOT_CACHE_DIR"), cacheBefore, "the variable is restored");
    assert.deepEqual(
      await fast(baseline.root, ["repro"], { XDG_CONFIG_HOME: path.join(baseline.root, "xdg") }),
      nothing,
    );
    // From a subdirectory: another cwd, another command.
    assert.deepEqual(await fast(path.join(baseline.root, "inputs"), ["repro"]), nothing);
    // The stamp still answers the original command.
    assert.equal((await fast(baseline.root, ["-q", "repro"])).code, 0);
    fastRuns++;
  });

  // ---- Every mutation project: the stamp answers before the change, not after.
  const before = await Promise.all(mutated.map(({ m, cwd, args, env }) =>
    Promise.all(
      [["-q", ...args], ...(m.alsoAnswers ?? [])].map(async (line) =>
        (await fast(cwd, line, env)).code
      ),
    )
  ));
  for (const { m, p } of mutated) await m.mutate(p);
  await settle();
  const after = await Promise.all(mutated.map(({ cwd, args, env }) => fast(cwd, args, env)));

  const [history, ...reactions] = await Promise.all([
    pivotOk(baseline.root, ["history", "--json", "-n", "100"]),
    ...mutated.map(({ m, cwd, env }) =>
      m.react === null ? null : runPivotInProcess(cwd, m.react, env)
    ),
  ]);

  await t.step("history records each fast run, with every stage up to date", () => {
    const runs = JSON.parse(history!.stdout) as {
      run_id: string;
      command: string;
      started_at: string;
      ended_at: string;
      targets: string[];
      stages: Record<string, { status: string; reason: string; duration_ms: number }>;
    }[];
    // Newest first: every fast run that answered (and none of those that fell through),
    // the slow no-op, the fresh run.
    assert.equal(runs.length, fastRuns + 2);
    assert.equal(new Set(runs.map((run) => run.run_id)).size, runs.length);
    const stages = ["prep", "train", "tree", "gather", "summarize"];
    for (const run of runs.slice(0, fastRuns)) {
      assert.equal(run.command, "repro");
      // No targets: the stages considered, as the slow path records them.
      assert.deepEqual(run.targets, stages);
      assert.deepEqual(
        run.stages,
        Object.fromEntries(stages.map((name) => [name, {
          status: "skipped",
          reason: "up to date",
          duration_ms: 0,
          log_tail: [],
        }])),
      );
      assert.ok(Date.parse(run.started_at) <= Date.parse(run.ended_at), JSON.stringify(run));
    }
    const [slow, first] = runs.slice(-2);
    assert.deepEqual(Object.keys(slow!.stages).sort(), [...stages].sort());
    assert.ok(Object.values(slow!.stages).every((s) => s.status === "skipped"));
    assert.ok(Object.values(first!.stages).every((s) => s.status === "ran"));
    assert.ok(Date.parse(runs[fastRuns - 1]!.started_at) >= Date.parse(slow!.ended_at));
  });

  for (const [i, { m, p, cwd, env }] of mutated.entries()) {
    await t.step({
      name: `after ${m.name}: the fast path falls through and the CLI reacts`,
      fn: async () => {
        assert.deepEqual(
          before[i],
          before[i]!.map(() => 0),
          "the stamp answered before the change",
        );
        assert.deepEqual(after[i], { code: null, stdout: "", stderr: "" });
        const reaction = reactions[i];
        if (m.react === null || reaction === null || reaction === undefined) return;
        assert.equal(reaction.code, m.reactCode ?? 0, reaction.stderr);
        if (reaction.code === 0) assert.equal(reaction.stderr, "");
        await m.check(reaction, p);
        // A run that ran or restored stages, all successfully, stamps the state it left:
        // the same command is answered from the stamp right after it.
        const summary = timeless(reaction.stdout).split("\n").at(-2)!;
        if (reaction.code === 0 && !/^0 ran, \d+ up to date \(T\)$/.test(summary)) {
          if (m.stampsAfterRunning === false) {
            assert.equal((await fast(cwd, m.react, env)).code, null, m.name);
            await pivotOk(cwd, m.react, env);
          }
          const again = await fast(cwd, m.react, env);
          assert.equal(again.code, 0, m.name);
          const total = [...summary.matchAll(/(\d+) (?:ran|up to date|restored)/g)]
            .reduce((sum, match) => sum + Number(match[1]), 0);
          assert.equal(timeless(again.stdout).split("\n").at(-2), `0 ran, ${total} up to date (T)`);
        }
      },
    });
  }
});
