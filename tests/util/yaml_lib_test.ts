/**
 * `util/yaml_lib.ts` copies `process.env` when it loads on the main thread
 * (the `yaml` package reads it for every token), and only then: a pivot
 * that parses no YAML never loads `node:process` for it.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";

const ROOT = path.resolve(import.meta.dirname!, "../..");

/** What `process.env` shows of a variable set with `Deno.env` before and after `yaml_lib.ts` loads. */
async function liveViewAroundYaml(): Promise<{ before: string | null; after: string | null }> {
  const script = [
    'import process from "node:process";',
    'Deno.env.set("PIVOT_TEST_BEFORE", "1");',
    "const before = process.env.PIVOT_TEST_BEFORE ?? null;",
    `await import(${JSON.stringify(`${ROOT}/src/util/yaml_lib.ts`)});`,
    'Deno.env.set("PIVOT_TEST_AFTER", "1");',
    "const after = process.env.PIVOT_TEST_AFTER ?? null;",
    "console.log(JSON.stringify({ before, after }));",
  ].join("\n");
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", `${ROOT}/deno.json`, script],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

Deno.test("util/yaml_lib.ts replaces process.env by a plain copy when it loads on the main thread", async () => {
  // Live until then (a variable set through Deno shows), a copy afterwards (it does not).
  assert.deepEqual(await liveViewAroundYaml(), { before: "1", after: null });
});
