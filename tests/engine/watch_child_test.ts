import assert from "node:assert/strict";
import { watchChildCommand, WatchChildProcess } from "../../src/engine/watch_child_process.ts";
import type { WatchChildSpec } from "../../src/engine/watch_child.ts";
import { PivotError } from "../../src/util/errors.ts";
import { makeProject, runPivot } from "../_helpers/project.ts";

/** The watching child started as pivot starts it, its stdin left open, and its stdout lines. */
function spawnChild(spec: WatchChildSpec) {
  const { command, args } = watchChildCommand(spec);
  const child = new Deno.Command(command, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  /** The next line the child writes. */
  const nextLine = async (): Promise<string> => {
    while (!text.includes("\n")) {
      const { done, value } = await lines.read();
      if (done) return "";
      text += value;
    }
    const line = text.slice(0, text.indexOf("\n"));
    text = text.slice(line.length + 1);
    return line;
  };
  return { child, nextLine, lines };
}

/** Resolves with the child's status, or fails when it has not exited within `ms`. */
async function exitsWithin(child: Deno.ChildProcess, ms: number): Promise<Deno.CommandStatus> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([child.status, late]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("the watching child writes each event as a line of JSON, and ends when its stdin closes", async () => {
  await using p = await makeProject({});
  const { child, nextLine, lines } = spawnChild({ root: p.root, extraDirs: [], parent: Deno.pid });
  assert.equal(await nextLine(), '{"type":"ready"}');
  await p.write("a.txt", "a\n");
  assert.deepEqual(JSON.parse(await nextLine()), {
    type: "event",
    kind: "create",
    paths: [p.path("a.txt")],
  });
  await child.stdin.close();
  const status = await exitsWithin(child, 1_500);
  assert.equal(status.code, 0);
  await lines.cancel();
});

Deno.test("the watching child ends when its parent is gone, though its stdin stays open", async () => {
  // Its parent here is the test, not the PID it names: as after the parent's death.
  await using p = await makeProject({});
  const { child, nextLine, lines } = spawnChild({ root: p.root, extraDirs: [], parent: 1 });
  assert.equal(await nextLine(), '{"type":"ready"}');
  const status = await exitsWithin(child, 3_000);
  assert.equal(status.code, 0);
  await child.stdin.close();
  await lines.cancel();
});

Deno.test("WatchChildProcess.start() names a directory that cannot be watched", async (t) => {
  await using p = await makeProject({});
  const cases = [
    { name: "the root", root: p.path("gone"), extraDirs: [], dir: p.path("gone") },
    { name: "an extra directory", root: p.root, extraDirs: [p.path("gone")], dir: p.path("gone") },
  ];
  for (const { name, root, extraDirs, dir } of cases) {
    await t.step(name, async () => {
      const error = await WatchChildProcess.start({
        root,
        extraDirs,
        onEvent: () => {},
        onEnd: () => {},
      }).then(() => null, (error) => error);
      assert.ok(error instanceof PivotError);
      assert.equal(error.message, `cannot watch ${dir}: no such directory`);
      assert.match(error.hint ?? "", /^check that the directory exists and is readable/);
    });
  }
});

Deno.test("pivot started with the watching child's argument by hand says it is pivot's own, with no stack trace", async (t) => {
  for (const args of [[], ["not json"], ['{"root": 1, "extraDirs": [], "parent": 1}']]) {
    await t.step(JSON.stringify(args), async () => {
      const result = await runPivot(Deno.cwd(), ["--pivot-internal-watch-child", ...args]);
      assert.deepEqual(result, {
        code: 2,
        stdout: "",
        stderr: "error: --pivot-internal-watch-child is pivot's own (watch mode starts it with " +
          "what to watch)\nhint: run 'pivot repro --watch'\n",
      });
    });
  }
});
