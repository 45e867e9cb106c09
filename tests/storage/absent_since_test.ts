import assert from "node:assert/strict";
import { absentSince } from "../../src/storage/absent_since.ts";
import { openPreciseStat } from "../../src/util/precise_stat.ts";
import { makeProject } from "../_helpers/project.ts";

Deno.test("absentSince: absent since a moment only when the directory above has not changed since", async () => {
  await using p = await makeProject({ "old/keep.txt": "x\n", "new/keep.txt": "x\n" });
  using stats = openPreciseStat();
  const longAgo = (Date.now() - 60_000) / 1000;
  Deno.utimeSync(p.path("old"), longAgo, longAgo);
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const at = Date.now();
  assert.equal(absentSince(stats, p.path("old/gone.txt"), at), true);
  // Below a missing directory: the nearest one that exists answers.
  assert.equal(absentSince(stats, p.path("old/none/gone.txt"), at), true);
  // Present, or a dangling symlink (what it points to is elsewhere): no.
  assert.equal(absentSince(stats, p.path("old/keep.txt"), at), false);
  // A file removed after `at`: its directory changed.
  await Deno.remove(p.path("new/keep.txt"));
  assert.equal(absentSince(stats, p.path("new/keep.txt"), at), false);
  await Deno.symlink(p.path("old/gone.txt"), p.path("new/link"));
  assert.equal(absentSince(stats, p.path("new/link"), Date.now() + 60_000), false);
});
