import assert from "node:assert/strict";
import * as path from "node:path";
import { recheckOutputDirs } from "../../src/engine/record_stage.ts";
import { DENO_STAT, type PreciseStat } from "../../src/util/precise_stat.ts";
import { RealPathGuard } from "../../src/util/real_path_guard.ts";
import { makeProject } from "../_helpers/project.ts";

/** `DENO_STAT`, noting every path it is asked about. */
function countingStat(asked: string[]): PreciseStat {
  return {
    precise: DENO_STAT.precise,
    stat: (file, follow) => {
      asked.push(file);
      return DENO_STAT.stat(file, follow);
    },
    [Symbol.dispose]() {},
  };
}

Deno.test("recheckOutputDirs() looks once at each remembered directory above many outputs", async () => {
  await using p = await makeProject({ "data/ml/train/a.json": "{}" });
  const guard = new RealPathGuard(p.root);
  const outs = ["a", "b", "c"].map((name) => ({ path: p.path(`data/ml/train/${name}.json`) }));
  for (const out of outs) guard.assertParentInside(out.path, "cannot write output");
  const asked: string[] = [];
  recheckOutputDirs({ paths: guard, stats: countingStat(asked) }, outs);
  assert.deepEqual(
    asked.map((dir) => path.relative(p.root, dir)).sort(),
    ["data", "data/ml", "data/ml/train"],
  );
});

Deno.test("recheckOutputDirs() forgets a directory swapped for a symlink out of the project", async () => {
  await using p = await makeProject({ "data/ml/train/a.json": "{}" });
  await using outside = await makeProject({ "model/a.json": "theirs" });
  const guard = new RealPathGuard(p.root);
  const outs = ["a", "b"].map((name) => ({ path: p.path(`data/ml/train/${name}.json`) }));
  for (const out of outs) guard.assertParentInside(out.path, "cannot write output");
  await Deno.remove(p.path("data/ml/train"), { recursive: true });
  await Deno.symlink(outside.path("model"), p.path("data/ml/train"));
  // Remembered: the swap is not seen without a second look.
  guard.assertParentInside(outs[0]!.path, "cannot write output");
  recheckOutputDirs({ paths: guard, stats: DENO_STAT }, outs);
  for (const out of outs) {
    assert.throws(
      () => guard.assertParentInside(out.path, "cannot write output"),
      /data\/ml\/train is a symlink to .*, outside the project/,
    );
  }
});
