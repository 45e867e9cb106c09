import assert from "node:assert/strict";
import { cachedDentries, machineFacts } from "../../bench/_machine.ts";

Deno.test("the bench report says how many directory entries the kernel caches", () => {
  if (Deno.build.os !== "linux") return;
  assert.match(cachedDentries(), /^\d{1,3}(,\d{3})*$/);
});

Deno.test("the bench report says whether an ext4 temp directory keeps a journal", () => {
  const line = machineFacts(null).find((fact) => fact.startsWith("- temp directory: "));
  assert.ok(line !== undefined);
  if (/: ext4 \(/.test(line)) assert.match(line, /; (with a journal|no journal|journal unknown)/);
});
