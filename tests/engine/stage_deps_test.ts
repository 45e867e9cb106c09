import assert from "node:assert/strict";
import type { Format } from "../../src/formats/mod.ts";
import { lazyDeps, UnreadableDep } from "../../src/engine/stage_deps.ts";
import type { RunJob } from "../../src/engine/stage_job.ts";

/** A reader that records what it read and gives `<format>:<file>`. */
function countingReader(): { reads: string[]; read: (file: string, format: Format) => unknown } {
  const reads: string[] = [];
  return { reads, read: (file, format) => (reads.push(file), `${format}:${file}`) };
}

const DEPS: RunJob["deps"] = [
  { name: "model", list: false, items: [{ path: "/p/model.json", format: "json" }] },
  {
    name: "parts",
    list: true,
    items: [{ path: "/p/a.txt", format: "txt" }, { path: "/p/b.txt", format: "txt" }],
  },
  { name: "raw", list: false, items: [{ path: "/p/raw", format: null }] },
];

Deno.test("lazyDeps() reads an input only when its value is first used, and once", () => {
  const { reads, read } = countingReader();
  const deps = lazyDeps(DEPS, read);
  assert.deepEqual(reads, []);
  assert.equal(deps.model, "json:/p/model.json");
  assert.equal(deps.model, "json:/p/model.json");
  assert.deepEqual(reads, ["/p/model.json"]);
});

Deno.test("lazyDeps() gives a list input as an array, and a path input as its path", () => {
  const { reads, read } = countingReader();
  const deps = lazyDeps(DEPS, read);
  assert.deepEqual(deps.parts, ["txt:/p/a.txt", "txt:/p/b.txt"]);
  assert.equal(deps.raw, "/p/raw");
  assert.deepEqual(reads, ["/p/a.txt", "/p/b.txt"]);
});

Deno.test("lazyDeps() can be enumerated and spread like a plain object", () => {
  const { read } = countingReader();
  const deps = lazyDeps(DEPS, read);
  assert.deepEqual(Object.keys(deps), ["model", "parts", "raw"]);
  assert.deepEqual({ ...deps }, {
    model: "json:/p/model.json",
    parts: ["txt:/p/a.txt", "txt:/p/b.txt"],
    raw: "/p/raw",
  });
  assert.deepEqual(JSON.parse(JSON.stringify(deps)).raw, "/p/raw");
});

Deno.test("lazyDeps() lets a function replace an input's value", () => {
  const { reads, read } = countingReader();
  const deps = lazyDeps(DEPS, read);
  deps.model = 3;
  assert.equal(deps.model, 3);
  assert.deepEqual(reads, []);
  assert.equal(deps.raw, "/p/raw");
  deps.raw = "other";
  assert.equal(deps.raw, "other");
});

Deno.test("lazyDeps() throws UnreadableDep naming the file and the format", () => {
  const deps = lazyDeps(DEPS, (file, format) => {
    if (format === "json") {
      throw new Error(`cannot read ${file} as json: Unexpected end of JSON input`);
    }
    throw new Deno.errors.NotFound(`No such file or directory (os error 2): readfile '${file}'`);
  });
  assert.throws(
    () => deps.model,
    (error: unknown) =>
      error instanceof UnreadableDep && error.file === "/p/model.json" && error.format === "json" &&
      error.message === "cannot read /p/model.json as json: Unexpected end of JSON input",
  );
  assert.throws(
    () => deps.parts,
    (error: unknown) =>
      error instanceof UnreadableDep &&
      error.message ===
        "cannot read /p/a.txt as txt: No such file or directory (os error 2): readfile '/p/a.txt'",
  );
});

Deno.test("lazyDeps() reads each input once also when the function froze or sealed the object", () => {
  for (const close of [Object.freeze, Object.seal]) {
    const { reads, read } = countingReader();
    const deps = close(lazyDeps(DEPS, read));
    assert.equal(deps.model, "json:/p/model.json");
    assert.equal(deps.model, "json:/p/model.json");
    assert.deepEqual(deps.parts, ["txt:/p/a.txt", "txt:/p/b.txt"]);
    assert.deepEqual(reads, ["/p/model.json", "/p/a.txt", "/p/b.txt"]);
    assert.deepEqual(Object.keys(deps), ["model", "parts", "raw"]);
  }
});

Deno.test("lazyDeps() prints with the values, as a plain object does", () => {
  const { read } = countingReader();
  const deps = lazyDeps(DEPS, read);
  const plain = {
    model: "json:/p/model.json",
    parts: ["txt:/p/a.txt", "txt:/p/b.txt"],
    raw: "/p/raw",
  };
  assert.equal(Deno.inspect(deps), Deno.inspect(plain));
  assert.equal(Deno.inspect({ deps }, { depth: 1 }), Deno.inspect({ deps: plain }, { depth: 1 }));
  // Nothing else shows the printing: no other key, nothing more spread or copied.
  assert.deepEqual(Object.keys({ ...deps }), ["model", "parts", "raw"]);
  assert.deepEqual(structuredClone(deps), plain);
});
