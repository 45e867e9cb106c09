/**
 * The V8 options pivot ships with (`src/cli/v8_flags.ts`) reach every way
 * pivot is started, and take effect in the stage workers too.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { pivotLauncher } from "../../bench/_session.ts";
import { PIVOT_V8_FLAGS } from "../../src/cli/v8_flags.ts";
import { makeProject } from "../_helpers/project.ts";

const ROOT = path.resolve(import.meta.dirname!, "..", "..");

Deno.test("deno task pivot and deno task compile, the README's command lines and the bench give pivot's V8 options", async () => {
  const { tasks } = JSON.parse(await Deno.readTextFile(path.join(ROOT, "deno.json"))) as {
    tasks: Record<string, string>;
  };
  assert.equal(tasks["pivot"], `deno run -A ${PIVOT_V8_FLAGS} main.ts`);
  assert.ok(tasks["compile"]!.startsWith(`deno compile -A ${PIVOT_V8_FLAGS} `), tasks["compile"]);
  const readme = await Deno.readTextFile(path.join(ROOT, "README.md"));
  for (
    const line of [
      `deno run -A ${PIVOT_V8_FLAGS} /path/to/pivot/main.ts`,
      `deno run -A ${PIVOT_V8_FLAGS} dist/pivot.js`,
    ]
  ) {
    assert.ok(readme.replaceAll("\n", " ").includes(line), `README.md does not say '${line}'`);
  }
  const { args } = pivotLauncher(null)(["repro"]);
  assert.deepEqual(args.slice(0, 4), ["run", "-A", "--quiet", PIVOT_V8_FLAGS]);
  assert.equal(args.at(-1), "repro");
});

Deno.test("pivot's V8 options shrink the heap of a worker started under them (the young generation is part of its limit)", async () => {
  await using p = await makeProject({
    "worker.ts":
      `import v8 from "node:v8";\nself.postMessage(v8.getHeapStatistics().heap_size_limit);\n`,
    "main.ts":
      `const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
worker.onmessage = (event) => { console.log(event.data); worker.terminate(); };\n`,
  });
  const limit = async (flags: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", ...flags, "main.ts"],
      cwd: p.root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return Number(new TextDecoder().decode(out.stdout).trim());
  };
  const plain = await limit([]);
  const shipped = await limit([PIVOT_V8_FLAGS]);
  assert.ok(plain > 0 && shipped > 0, `limits ${plain}, ${shipped}`);
  // Three semi-spaces of the cap are reserved (two of new space, one of new large objects):
  // Deno's default grows each to 32 MiB, the cap holds them at 16 MiB.
  assert.ok(
    plain - shipped >= 3 * 16 * 2 ** 20,
    `heap limit ${plain} without, ${shipped} with the cap`,
  );
});
