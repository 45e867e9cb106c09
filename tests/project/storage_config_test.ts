import assert from "node:assert/strict";
import { cacheDirFor, loadConfig } from "../../src/project/mod.ts";
import { makeProject } from "../_helpers/project.ts";

Deno.test("cacheDirFor() takes PIVOT_CACHE_DIR from its env over cache.dir, relative to the root", async () => {
  await using p = await makeProject({ ".pivot/config.yaml": "cache:\n  dir: configured\n" });
  const config = await loadConfig(p.root, () => undefined);
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(cacheDirFor({ root: p.root, config, env: env({}) }), p.path("configured"));
  assert.equal(
    cacheDirFor({ root: p.root, config, env: env({ PIVOT_CACHE_DIR: "shared/cache" }) }),
    p.path("shared/cache"),
  );
  assert.equal(
    cacheDirFor({ root: p.root, config, env: env({ PIVOT_CACHE_DIR: "/mnt/cache" }) }),
    "/mnt/cache",
  );
  // Blank: as if unset.
  assert.equal(
    cacheDirFor({ root: p.root, config, env: env({ PIVOT_CACHE_DIR: "  " }) }),
    p.path("configured"),
  );
});
