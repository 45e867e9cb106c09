import assert from "node:assert/strict";
import * as path from "node:path";
import {
  releaseSentinel,
  sentinelHolder,
  takeSentinel,
} from "../../src/engine/running_sentinel.ts";
import { SentinelTemplates } from "../../src/engine/sentinel_templates.ts";
import { names, tempDir } from "../_helpers/files.ts";

const templateName = /^\.claim\.\d+\.[0-9a-f-]+\.tmp$/;

Deno.test("claims with templates: each sentinel holds our PID, a link to one template per directory, removed on dispose", async () => {
  await using dir = await tempDir();
  const sentinels = ["a.running", "b.running", "c.running"].map((n) =>
    path.join(dir.path, "ml", n)
  );
  const other = path.join(dir.path, "other", "d.running");
  {
    using templates = new SentinelTemplates();
    for (const sentinel of [...sentinels, other]) {
      assert.deepEqual(takeSentinel(sentinel, templates), { created: true });
      assert.equal(Deno.readTextFileSync(sentinel), `${Deno.pid}\n`);
    }
    const inMl = names(path.join(dir.path, "ml"));
    assert.deepEqual(inMl.filter((n) => !templateName.test(n)), [
      "a.running",
      "b.running",
      "c.running",
    ]);
    assert.equal(inMl.filter((n) => templateName.test(n)).length, 1);
    // Three sentinels and the template: one file.
    assert.equal(Deno.statSync(sentinels[0]!).nlink, 4);
    assert.equal(Deno.statSync(other).nlink, 2);
    // A sentinel taken is not created again (the link fails).
    assert.deepEqual(takeSentinel(sentinels[1]!, templates), { created: false });
    releaseSentinel(sentinels[2]!);
    assert.equal(Deno.statSync(sentinels[0]!).nlink, 3);
  }
  assert.deepEqual(names(path.join(dir.path, "ml")), ["a.running", "b.running"]);
  assert.deepEqual(names(path.join(dir.path, "other")), ["d.running"]);
  assert.equal(Deno.readTextFileSync(sentinels[0]!), `${Deno.pid}\n`);
  assert.equal(Deno.statSync(sentinels[0]!).nlink, 2);
});

Deno.test("a template removed during the run: the claim is made with a file of its own, the next one with a new template", async () => {
  await using dir = await tempDir();
  using templates = new SentinelTemplates();
  const [a, b, c] = ["a", "b", "c"].map((n) => path.join(dir.path, `${n}.running`));
  assert.deepEqual(takeSentinel(a!, templates), { created: true });
  const [template] = names(dir.path).filter((n) => templateName.test(n));
  Deno.removeSync(path.join(dir.path, template!));
  assert.deepEqual(takeSentinel(b!, templates), { created: true });
  assert.equal(Deno.readTextFileSync(b!), `${Deno.pid}\n`);
  assert.equal(Deno.statSync(b!).nlink, 1);
  assert.deepEqual(takeSentinel(c!, templates), { created: true });
  assert.equal(Deno.readTextFileSync(c!), `${Deno.pid}\n`);
  assert.equal(Deno.statSync(c!).nlink, 2);
  assert.deepEqual(names(dir.path).filter((n) => !templateName.test(n) && n.endsWith(".tmp")), []);
});

Deno.test({
  name:
    "sentinels a killed process made from its template are taken over one by one; the others stay as they were, its template is removed",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    await using dir = await tempDir();
    const module = new URL("../../src/engine/sentinel_templates.ts", import.meta.url).href;
    const sentinels = ["a", "b", "c"].map((n) => path.join(dir.path, `${n}.running`));
    const ready = path.join(dir.path, "ready");
    // The child claims three stages, says so, and waits to be killed.
    const code = `
      import { takeSentinel } from ${
      JSON.stringify(module.replace("sentinel_templates", "running_sentinel"))
    };
      import { SentinelTemplates } from ${JSON.stringify(module)};
      const templates = new SentinelTemplates();
      for (const s of ${JSON.stringify(sentinels)}) takeSentinel(s, templates);
      Deno.writeTextFileSync(${JSON.stringify(ready)}, "");
      setTimeout(() => {}, 60_000);
    `;
    const child = new Deno.Command(Deno.execPath(), { args: ["eval", code], stdout: "null" })
      .spawn();
    while (!names(dir.path).includes("ready")) await new Promise((r) => setTimeout(r, 20));
    for (const sentinel of sentinels) assert.equal(sentinelHolder(sentinel), child.pid);
    child.kill("SIGKILL");
    await child.status;
    using templates = new SentinelTemplates();
    assert.deepEqual(takeSentinel(sentinels[0]!, templates), { created: false });
    assert.equal(Deno.readTextFileSync(sentinels[0]!), `${Deno.pid}\nkilled ${child.pid}\n`);
    // The replaced name is a file of its own; the child's other sentinels untouched, its
    // template (garbage once it is gone) removed, ours there.
    assert.equal(Deno.statSync(sentinels[0]!).nlink, 1);
    assert.deepEqual(names(dir.path).filter((n) => n.startsWith(`.claim.${child.pid}.`)), []);
    assert.equal(names(dir.path).filter((n) => templateName.test(n)).length, 1);
    for (const file of [sentinels[1]!, sentinels[2]!]) {
      assert.equal(Deno.readTextFileSync(file), `${child.pid}\n`);
      assert.equal(Deno.statSync(file).nlink, 2);
    }
    assert.equal(sentinelHolder(sentinels[1]!), null);
    releaseSentinel(sentinels[0]!);
  },
});
