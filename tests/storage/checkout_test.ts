import assert from "node:assert/strict";
import * as path from "node:path";
import {
  CHECKOUT_MODES,
  type CheckoutMode,
  ContentCache,
  hashBytes,
  isFallbackError,
  isPlacedAs,
  type ManifestEntry,
  Placer,
  removePath,
  restoreDirectory,
  restoreFile,
} from "../../src/storage/mod.ts";
import { PivotError } from "../../src/util/errors.ts";
import { exists, modeOf, tree } from "../_helpers/files.ts";
import { addBlob } from "../_helpers/storage.ts";

const encoder = new TextEncoder();

/** Removes `dir` even when tests left read-only directories in it. */
function forceRemove(dir: string): void {
  const writable = (d: string): void => {
    Deno.chmodSync(d, 0o755);
    for (const entry of Deno.readDirSync(d)) {
      if (entry.isDirectory) writable(path.join(d, entry.name));
    }
  };
  try {
    writable(dir);
    Deno.removeSync(dir, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

interface Fixture extends Disposable {
  /** Root of the workspace side (a fresh temp dir). */
  readonly ws: string;
  readonly cache: ContentCache;
  /** Stores `content` in the cache; returns its hash. */
  add(content: string): Promise<string>;
  /** Absolute path of `rel` under {@linkcode Fixture.ws}. */
  at(rel: string): string;
}

/**
 * A cache and a workspace, both temporary. The cache lives under `cacheBase`
 * (a fresh temp dir under the default temp dir unless given).
 */
function fixture(cacheBase?: string): Fixture {
  const ws = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "pivot_ws_" }));
  const cacheRoot = Deno.realPathSync(
    Deno.makeTempDirSync({ prefix: "pivot_cache_", ...(cacheBase ? { dir: cacheBase } : {}) }),
  );
  const cache = new ContentCache(cacheRoot);
  return {
    ws,
    cache,
    add: (content) => addBlob(cacheRoot, content),
    at: (rel) => path.join(ws, rel),
    [Symbol.dispose]: () => {
      forceRemove(ws);
      forceRemove(cacheRoot);
    },
  };
}

function entry(relpath: string, content: string, isexec = false): ManifestEntry {
  return { relpath, hash: hashBytes(content), size: encoder.encode(content).length, isexec };
}

/** Why the cross-device tests cannot run here, or `null` when they can. */
const crossDeviceProblem: string | null = (() => {
  try {
    const shm = Deno.makeTempDirSync({ dir: "/dev/shm" });
    const tmp = Deno.makeTempDirSync();
    try {
      const shmDev = Deno.statSync(shm).dev;
      const tmpDev = Deno.statSync(tmp).dev;
      return shmDev === tmpDev
        ? `/dev/shm and ${path.dirname(tmp)} are on the same device (${shmDev})`
        : null;
    } finally {
      Deno.removeSync(shm);
      Deno.removeSync(tmp);
    }
  } catch (error) {
    return `cannot use /dev/shm: ${error}`;
  }
})();
if (crossDeviceProblem !== null) {
  // deno-lint-ignore no-console
  console.log(`skipping cross-device checkout tests: ${crossDeviceProblem}`);
}

/**
 * A test with a fixture whose cache is on another device (under /dev/shm),
 * ignored when there is no such device.
 */
function crossDeviceTest(name: string, fn: (f: Fixture) => Promise<void>): void {
  Deno.test({
    name,
    ignore: crossDeviceProblem !== null,
    fn: async () => {
      using f = fixture("/dev/shm");
      await fn(f);
    },
  });
}

// ---------------------------------------------------------------- Placer

Deno.test("Placer.place() in hardlink mode links the read-only blob", async () => {
  using f = fixture();
  const hash = await f.add("linked\n");
  const blob = f.cache.blobPath(hash);
  const placer = new Placer(["hardlink", "symlink", "copy"]);

  assert.equal(placer.place(blob, f.at("out.txt"), false), "hardlink");

  const info = Deno.lstatSync(f.at("out.txt"));
  assert.ok(info.isFile);
  assert.equal(info.ino, Deno.statSync(blob).ino);
  assert.equal(modeOf(f.at("out.txt")), 0o444);
  assert.equal(Deno.statSync(blob).nlink, 2);
  assert.equal(Deno.readTextFileSync(f.at("out.txt")), "linked\n");
  assert.deepEqual(placer.used, { hardlink: 1, symlink: 0, copy: 0 });
  assert.deepEqual(placer.modes, ["hardlink", "symlink", "copy"]);
});

Deno.test("Placer.place() in symlink mode makes a symlink resolving to the blob", async () => {
  using f = fixture();
  const hash = await f.add("symlinked\n");
  const blob = f.cache.blobPath(hash);
  const placer = new Placer(["symlink"]);

  assert.equal(placer.place(blob, f.at("out.txt"), false), "symlink");

  assert.ok(Deno.lstatSync(f.at("out.txt")).isSymlink);
  assert.equal(Deno.readLinkSync(f.at("out.txt")), blob);
  assert.equal(Deno.realPathSync(f.at("out.txt")), Deno.realPathSync(blob));
  assert.equal(Deno.readTextFileSync(f.at("out.txt")), "symlinked\n");
  assert.equal(Deno.statSync(blob).nlink, 1);
  assert.deepEqual(placer.used, { hardlink: 0, symlink: 1, copy: 0 });
});

Deno.test("Placer.place() in copy mode makes a writable 0644 file, 0755 when executable", async () => {
  using f = fixture();
  const hash = await f.add("copied\n");
  const blob = f.cache.blobPath(hash);
  const placer = new Placer(["copy"]);

  assert.equal(placer.place(blob, f.at("plain.txt"), false), "copy");
  assert.equal(placer.place(blob, f.at("tool.sh"), true), "copy");

  for (const [name, mode] of [["plain.txt", 0o644], ["tool.sh", 0o755]] as const) {
    const info = Deno.lstatSync(f.at(name));
    assert.ok(info.isFile, name);
    assert.notEqual(info.ino, Deno.statSync(blob).ino, name);
    assert.equal(modeOf(f.at(name)), mode, name);
    assert.equal(Deno.readTextFileSync(f.at(name)), "copied\n", name);
  }
  assert.equal(modeOf(blob), 0o444);
  assert.equal(Deno.statSync(blob).nlink, 1);
  assert.deepEqual(placer.used, { hardlink: 0, symlink: 0, copy: 2 });
});

crossDeviceTest(
  "Placer.place() falls back to a symlink when hardlinking crosses devices",
  async (f) => {
    assert.notEqual(Deno.statSync(f.cache.dir).dev, Deno.statSync(f.ws).dev);
    const first = await f.add("first\n");
    const second = await f.add("second\n");
    const placer = new Placer([...CHECKOUT_MODES]);

    assert.equal(placer.place(f.cache.blobPath(first), f.at("a.txt"), false), "symlink");

    assert.ok(Deno.lstatSync(f.at("a.txt")).isSymlink);
    assert.equal(Deno.realPathSync(f.at("a.txt")), Deno.realPathSync(f.cache.blobPath(first)));
    assert.equal(Deno.readTextFileSync(f.at("a.txt")), "first\n");
    assert.deepEqual(placer.used, { hardlink: 0, symlink: 1, copy: 0 });
    // Hardlinking is not tried again.
    assert.deepEqual(placer.modes, ["symlink", "copy"]);
    assert.equal(placer.place(f.cache.blobPath(second), f.at("b.txt"), false), "symlink");
    assert.deepEqual(placer.used, { hardlink: 0, symlink: 2, copy: 0 });
    assert.deepEqual(tree(f.ws), ["a.txt", "b.txt"]);
  },
);

crossDeviceTest(
  "Placer.place() with only hardlink mode propagates the cross-device error",
  async (f) => {
    const hash = await f.add("content\n");
    const placer = new Placer(["hardlink"]);

    assert.throws(() => placer.place(f.cache.blobPath(hash), f.at("a.txt"), false), (error) => {
      assert.equal((error as { code?: string }).code, "EXDEV");
      assert.equal(isFallbackError(error), true);
      return true;
    });
    assert.equal(exists(f.at("a.txt")), false);
    assert.deepEqual(placer.used, { hardlink: 0, symlink: 0, copy: 0 });
    assert.deepEqual(placer.modes, ["hardlink"]);
  },
);

Deno.test("Placer.place() propagates a non-fallback error without trying other modes", async (t) => {
  using f = fixture();
  const hash = await f.add("content\n");
  const blob = f.cache.blobPath(hash);

  await t.step("destination parent does not exist", () => {
    const placer = new Placer([...CHECKOUT_MODES]);
    assert.throws(
      () => placer.place(blob, f.at("missing/dir/a.txt"), false),
      Deno.errors.NotFound,
    );
    assert.deepEqual(placer.modes, ["hardlink", "symlink", "copy"]);
    assert.deepEqual(placer.used, { hardlink: 0, symlink: 0, copy: 0 });
    assert.equal(exists(f.at("missing")), false);
  });

  await t.step("destination already exists (and is not removed)", () => {
    Deno.writeTextFileSync(f.at("taken.txt"), "the user's file\n");
    const placer = new Placer([...CHECKOUT_MODES]);
    assert.throws(() => placer.place(blob, f.at("taken.txt"), false), Deno.errors.AlreadyExists);
    assert.equal(Deno.readTextFileSync(f.at("taken.txt")), "the user's file\n");
    assert.deepEqual(placer.modes, ["hardlink", "symlink", "copy"]);
    assert.deepEqual(placer.used, { hardlink: 0, symlink: 0, copy: 0 });
  });
});

Deno.test("Placer() needs at least one mode", () => {
  assert.throws(() => new Placer([]), PivotError);
});

Deno.test("isFallbackError() is true for EXDEV, EPERM, EACCES and EMLINK only", () => {
  for (const code of ["EXDEV", "EPERM", "EACCES", "EMLINK"]) {
    assert.equal(isFallbackError({ code }), true, code);
    assert.equal(isFallbackError(Object.assign(new Error(code), { code })), true, code);
  }
  for (const code of ["ENOENT", "EEXIST", "EISDIR", "ENOTDIR", "exdev", ""]) {
    assert.equal(isFallbackError({ code }), false, code);
  }
  for (const value of [null, undefined, {}, { code: 18 }, new Error("EXDEV"), "EXDEV"]) {
    assert.equal(isFallbackError(value), false, String(value));
  }
  // A real ENOENT from the file system.
  let notFound: unknown;
  try {
    Deno.linkSync("/nonexistent/pivot/a", "/nonexistent/pivot/b");
  } catch (error) {
    notFound = error;
  }
  assert.equal((notFound as { code?: string }).code, "ENOENT");
  assert.equal(isFallbackError(notFound), false);
});

/** Deno's error for EMLINK: a plain Error with no `code`, as `Deno.linkSync` throws it. */
function tooManyLinks(target: string, dest: string): Error {
  return new Error(`Too many links (os error 31): link '${target}' -> '${dest}'`);
}

Deno.test("isFallbackError() recognises EMLINK, which Deno reports without a code", () => {
  assert.equal(isFallbackError(tooManyLinks("blob", "out")), true);
  assert.equal(isFallbackError(new Error("Too many links")), true);
  assert.equal(isFallbackError(new Error("No space left on device (os error 28)")), false);
  assert.equal(isFallbackError(new Error("link failed (os error 310)")), false);
});

Deno.test("Placer.place() falls back to a symlink when a blob has too many hardlinks (EMLINK)", async () => {
  using f = fixture();
  const hash = await f.add("an empty file, say\n");
  const blob = f.cache.blobPath(hash);
  const attempts: string[] = [];
  const placer = new Placer([...CHECKOUT_MODES], {
    link: (target, dest) => {
      attempts.push(dest);
      throw tooManyLinks(target, dest);
    },
  });

  assert.equal(placer.place(blob, f.at("a.txt"), false), "symlink");
  assert.equal(placer.place(blob, f.at("b.txt"), false), "symlink");

  assert.deepEqual(attempts, [f.at("a.txt")], "hardlinking is not tried again");
  assert.deepEqual(placer.modes, ["symlink", "copy"]);
  assert.deepEqual(placer.used, { hardlink: 0, symlink: 2, copy: 0 });
  assert.equal(Deno.realPathSync(f.at("b.txt")), Deno.realPathSync(blob));
  assert.deepEqual(tree(f.ws), ["a.txt", "b.txt"]);
});

Deno.test("isPlacedAs() tells a hardlink, a symlink and a copy of a blob apart", async () => {
  using f = fixture();
  const hash = await f.add("placed\n");
  const blob = f.cache.blobPath(hash);
  Deno.linkSync(blob, f.at("hard"));
  Deno.symlinkSync(blob, f.at("soft"));
  Deno.copyFileSync(blob, f.at("copy"));
  const cases: [string, CheckoutMode][] = [["hard", "hardlink"], ["soft", "symlink"], [
    "copy",
    "copy",
  ]];
  for (const [name, placed] of cases) {
    for (const mode of CHECKOUT_MODES) {
      assert.equal(isPlacedAs(f.at(name), blob, mode), mode === placed, `${name} as ${mode}`);
    }
  }
  for (const mode of CHECKOUT_MODES) assert.equal(isPlacedAs(f.at("absent"), blob, mode), false);
});

Deno.test("restoreFile() replaces a hardlink to the blob when symlink is the first mode", async () => {
  using f = fixture();
  const hash = await f.add("content\n");
  const blob = f.cache.blobPath(hash);
  const dest = f.at("out.txt");
  Deno.linkSync(blob, dest);

  assert.equal(await restoreFile(f.cache, hash, dest, new Placer(["symlink", "copy"])), "symlink");

  assert.ok(Deno.lstatSync(dest).isSymlink);
  assert.equal(Deno.realPathSync(dest), Deno.realPathSync(blob));
  assert.equal(Deno.statSync(blob).nlink, 1);
  assert.deepEqual(tree(f.ws), ["out.txt"]);
});

// ---------------------------------------------------------------- restoreFile

Deno.test("restoreFile() replaces an existing file with one rename", async (t) => {
  for (const mode of CHECKOUT_MODES) {
    await t.step(mode, async () => {
      using f = fixture();
      const hash = await f.add("new content\n");
      const dest = f.at("data/out.txt");
      Deno.mkdirSync(path.dirname(dest));
      Deno.writeTextFileSync(dest, "old content\n");
      const oldIno = Deno.lstatSync(dest).ino;
      // A reader that opened the old file keeps seeing it: it was not rewritten in place.
      using reader = Deno.openSync(dest);

      assert.equal(await restoreFile(f.cache, hash, dest, new Placer([mode])), mode);

      assert.equal(Deno.readTextFileSync(dest), "new content\n");
      assert.notEqual(Deno.lstatSync(dest).ino, oldIno);
      const old = new Uint8Array(64);
      const count = reader.readSync(old) ?? 0;
      assert.equal(new TextDecoder().decode(old.subarray(0, count)), "old content\n");
      assert.deepEqual(tree(f.at("data")), ["out.txt"], "no temp file left");
      if (mode === "hardlink") {
        assert.equal(Deno.lstatSync(dest).ino, Deno.statSync(f.cache.blobPath(hash)).ino);
      }
      if (mode === "symlink") assert.ok(Deno.lstatSync(dest).isSymlink);
      if (mode === "copy") assert.equal(modeOf(dest), 0o644);
    });
  }
});

Deno.test("restoreFile() creates missing parent directories and replaces a directory", async () => {
  using f = fixture();
  const hash = await f.add("file\n");
  assert.equal(
    await restoreFile(f.cache, hash, f.at("a/b/c.txt"), new Placer(["copy"])),
    "copy",
  );
  assert.equal(Deno.readTextFileSync(f.at("a/b/c.txt")), "file\n");

  Deno.mkdirSync(f.at("dir/inner"), { recursive: true });
  Deno.writeTextFileSync(f.at("dir/inner/x"), "x");
  assert.equal(await restoreFile(f.cache, hash, f.at("dir"), new Placer(["copy"])), "copy");
  assert.ok(Deno.lstatSync(f.at("dir")).isFile);
  assert.equal(Deno.readTextFileSync(f.at("dir")), "file\n");
});

Deno.test("restoreFile() returns null and touches nothing when the blob is missing", async () => {
  using f = fixture();
  const hash = hashBytes("never cached\n");
  Deno.writeTextFileSync(f.at("out.txt"), "current\n");
  const before = Deno.lstatSync(f.at("out.txt"));
  const placer = new Placer([...CHECKOUT_MODES]);

  assert.equal(await restoreFile(f.cache, hash, f.at("out.txt"), placer), null);
  assert.equal(await restoreFile(f.cache, hash, f.at("new/dir/out.txt"), placer), null);

  const after = Deno.lstatSync(f.at("out.txt"));
  assert.equal(after.ino, before.ino);
  assert.equal(after.mtime?.getTime(), before.mtime?.getTime());
  assert.equal(Deno.readTextFileSync(f.at("out.txt")), "current\n");
  assert.deepEqual(tree(f.ws), ["out.txt"]);
  assert.deepEqual(placer.used, { hardlink: 0, symlink: 0, copy: 0 });
});

Deno.test("restoreFile() is a no-op when the file already is a hardlink to the blob", async () => {
  using f = fixture();
  const hash = await f.add("linked\n");
  const blob = f.cache.blobPath(hash);
  const dest = f.at("out.txt");
  const placer = new Placer([...CHECKOUT_MODES]);
  assert.equal(await restoreFile(f.cache, hash, dest, placer), "hardlink");
  const blobBefore = Deno.statSync(blob);
  const dirBefore = Deno.statSync(f.ws);
  await new Promise((resolve) => setTimeout(resolve, 30));

  assert.equal(await restoreFile(f.cache, hash, dest, placer), "hardlink");

  const blobAfter = Deno.statSync(blob);
  const dirAfter = Deno.statSync(f.ws);
  assert.equal(Deno.lstatSync(dest).ino, blobBefore.ino);
  assert.equal(blobAfter.nlink, 2);
  // No link was made and removed (that changes the blob's ctime) and no temp
  // file came and went (that changes the directory's mtime).
  assert.equal(blobAfter.ctime?.getTime(), blobBefore.ctime?.getTime());
  assert.equal(dirAfter.mtime?.getTime(), dirBefore.mtime?.getTime());
  assert.deepEqual(placer.used, { hardlink: 1, symlink: 0, copy: 0 });
  assert.deepEqual(tree(f.ws), ["out.txt"]);
});

Deno.test("restoreFile() in copy mode replaces a hardlink to the blob with a writable copy", async () => {
  using f = fixture();
  const hash = await f.add("content\n");
  const blob = f.cache.blobPath(hash);
  const dest = f.at("out.txt");
  Deno.linkSync(blob, dest);

  assert.equal(await restoreFile(f.cache, hash, dest, new Placer(["copy"])), "copy");

  assert.notEqual(Deno.lstatSync(dest).ino, Deno.statSync(blob).ino);
  assert.equal(modeOf(dest), 0o644);
  assert.equal(Deno.statSync(blob).nlink, 1);
  assert.equal(modeOf(blob), 0o444);
});

// ---------------------------------------------------------------- restoreDirectory

const FILES: [string, string, boolean][] = [
  ["a.txt", "alpha\n", false],
  ["sub/b.sh", "#!/bin/sh\necho b\n", true],
  ["sub/deep/c.txt", "gamma\n", false],
  ["sub/deep/d.txt", "delta\n", false],
];

/** {@linkcode tree} of `out/` once {@linkcode FILES} are restored at `out/model`. */
const MODEL_TREE: readonly string[] = [
  "model/",
  "model/a.txt",
  "model/sub/",
  "model/sub/b.sh",
  "model/sub/deep/",
  "model/sub/deep/c.txt",
  "model/sub/deep/d.txt",
];

async function storeFiles(f: Fixture): Promise<ManifestEntry[]> {
  for (const [, content] of FILES) await f.add(content);
  return FILES.map(([rel, content, exec]) => entry(rel, content, exec));
}

Deno.test("restoreDirectory() builds the tree with nested directories and exec bits", async (t) => {
  for (const mode of CHECKOUT_MODES) {
    await t.step(mode, async () => {
      using f = fixture();
      const manifest = await storeFiles(f);
      const dest = f.at("out/model");
      const placer = new Placer([mode]);

      assert.deepEqual(await restoreDirectory(f.cache, manifest, dest, placer), {
        restored: true,
      });

      assert.deepEqual(tree(f.at("out")), MODEL_TREE);
      assert.equal(modeOf(dest), 0o755);
      for (const [rel, content, exec] of FILES) {
        const file = path.join(dest, rel);
        assert.equal(Deno.readTextFileSync(file), content, rel);
        const blob = f.cache.blobPath(hashBytes(content));
        // An executable is always a copy: a link would share the blob's 0444.
        if (mode === "copy" || exec) assert.equal(modeOf(file), exec ? 0o755 : 0o644, rel);
        if (exec) assert.equal(Deno.lstatSync(file).nlink, 1, rel);
        else if (mode === "hardlink") {
          assert.equal(Deno.lstatSync(file).ino, Deno.statSync(blob).ino);
        } else if (mode === "symlink") assert.equal(Deno.readLinkSync(file), blob);
      }
      const linked = mode === "copy" ? 0 : 3;
      assert.deepEqual(placer.used, {
        hardlink: 0,
        symlink: 0,
        copy: 4 - linked,
        ...(linked > 0 ? { [mode]: linked } : {}),
      });
    });
  }
});

Deno.test("restoreDirectory() replaces an existing directory and leaves no temporaries", async () => {
  using f = fixture();
  const manifest = await storeFiles(f);
  const dest = f.at("out/model");
  Deno.mkdirSync(path.join(dest, "sub/old"), { recursive: true });
  Deno.writeTextFileSync(path.join(dest, "a.txt"), "stale alpha\n");
  Deno.writeTextFileSync(path.join(dest, "extra.txt"), "not in the manifest\n");
  Deno.writeTextFileSync(path.join(dest, "sub/old/gone.txt"), "not in the manifest\n");
  Deno.writeTextFileSync(f.at("out/sibling.txt"), "untouched\n");

  assert.deepEqual(
    await restoreDirectory(f.cache, manifest, dest, new Placer(["copy"])),
    { restored: true },
  );

  assert.deepEqual(tree(f.at("out")), [...MODEL_TREE, "sibling.txt"]);
  assert.equal(Deno.readTextFileSync(path.join(dest, "a.txt")), "alpha\n");
  assert.equal(Deno.readTextFileSync(f.at("out/sibling.txt")), "untouched\n");
  const leftovers = [...Deno.readDirSync(f.at("out"))]
    .filter((e) => /^\.pivot_(restore|backup)_/.test(e.name));
  assert.deepEqual(leftovers, []);
});

Deno.test("restoreDirectory() writes nothing when a blob is missing", async (t) => {
  await t.step("destination does not exist", async () => {
    using f = fixture();
    await f.add("alpha\n");
    const manifest = [entry("a.txt", "alpha\n"), entry("b.txt", "never cached\n")];
    const placer = new Placer([...CHECKOUT_MODES]);

    const result = await restoreDirectory(f.cache, manifest, f.at("out/model"), placer);

    assert.deepEqual(result, { restored: false, missing: [manifest[1]] });
    assert.deepEqual(tree(f.ws), []);
    assert.deepEqual(placer.used, { hardlink: 0, symlink: 0, copy: 0 });
  });

  await t.step("destination exists", async () => {
    using f = fixture();
    await f.add("alpha\n");
    const dest = f.at("model");
    Deno.mkdirSync(dest);
    Deno.writeTextFileSync(path.join(dest, "old.txt"), "old\n");
    const manifest = [entry("a.txt", "alpha\n"), entry("z/b.txt", "never cached\n", true)];

    const result = await restoreDirectory(f.cache, manifest, dest, new Placer(["copy"]));

    assert.deepEqual(result, { restored: false, missing: [manifest[1]] });
    assert.deepEqual(tree(f.ws), ["model/", "model/old.txt"]);
    assert.equal(Deno.readTextFileSync(path.join(dest, "old.txt")), "old\n");
  });
});

Deno.test("restoreDirectory() rejects an unsafe manifest path before writing anything", async (t) => {
  for (const relpath of ["../escape", "a/../../escape", "/tmp/escape", "./a", "a//b", ""]) {
    await t.step(JSON.stringify(relpath), async () => {
      using f = fixture();
      const safe = await storeFiles(f);
      await f.add("escaped\n");
      const manifest = [...safe, { ...entry("x", "escaped\n"), relpath }];
      Deno.mkdirSync(f.at("work"));

      await assert.rejects(
        restoreDirectory(f.cache, manifest, f.at("work/out/model"), new Placer(["copy"])),
        PivotError,
      );

      assert.deepEqual(tree(f.ws), ["work/"]);
    });
  }
});

crossDeviceTest(
  "restoreDirectory() leaves the destination untouched when placing a file fails",
  async (f) => {
    const manifest = await storeFiles(f);
    const dest = f.at("model");
    Deno.mkdirSync(dest);
    Deno.writeTextFileSync(path.join(dest, "old.txt"), "old\n");

    await assert.rejects(
      restoreDirectory(f.cache, manifest, dest, new Placer(["hardlink"])),
      (error) => (error as { code?: string }).code === "EXDEV",
    );

    assert.deepEqual(tree(f.ws), ["model/", "model/old.txt"]);
  },
);

crossDeviceTest("restoreDirectory() falls back to symlinks across devices", async (f) => {
  const manifest = await storeFiles(f);
  const placer = new Placer([...CHECKOUT_MODES]);

  assert.deepEqual(await restoreDirectory(f.cache, manifest, f.at("model"), placer), {
    restored: true,
  });

  for (const [rel, content, exec] of FILES) {
    const file = f.at(`model/${rel}`);
    assert.equal(Deno.lstatSync(file).isSymlink, !exec, rel);
    assert.equal(Deno.readTextFileSync(file), content, rel);
  }
  assert.deepEqual(placer.used, { hardlink: 0, symlink: 3, copy: 1 });
  assert.deepEqual(tree(f.ws).filter((name) => name.startsWith(".")), []);
});

// ---------------------------------------------------------------- removePath

Deno.test("removePath() removes a hardlink to a blob without changing the blob's mode", async () => {
  using f = fixture();
  const hash = await f.add("shared\n");
  const blob = f.cache.blobPath(hash);
  Deno.linkSync(blob, f.at("link.txt"));

  await removePath(f.at("link.txt"));

  assert.equal(exists(f.at("link.txt")), false);
  assert.equal(modeOf(blob), 0o444);
  assert.equal(Deno.statSync(blob).nlink, 1);
  assert.equal(Deno.readTextFileSync(blob), "shared\n");
});

Deno.test("removePath() removes a symlink but not its target", async () => {
  using f = fixture();
  const hash = await f.add("target\n");
  const blob = f.cache.blobPath(hash);
  Deno.symlinkSync(blob, f.at("file-link"));
  Deno.mkdirSync(f.at("target-dir"));
  Deno.writeTextFileSync(f.at("target-dir/keep.txt"), "keep\n");
  Deno.symlinkSync(f.at("target-dir"), f.at("dir-link"));

  await removePath(f.at("file-link"));
  await removePath(f.at("dir-link"));

  assert.equal(exists(f.at("file-link")), false);
  assert.equal(exists(f.at("dir-link")), false);
  assert.equal(Deno.readTextFileSync(blob), "target\n");
  assert.equal(modeOf(blob), 0o444);
  assert.deepEqual(tree(f.ws), ["target-dir/", "target-dir/keep.txt"]);
});

Deno.test("removePath() removes a directory tree that contains a read-only subdirectory", async () => {
  using f = fixture();
  const hash = await f.add("blob\n");
  const blob = f.cache.blobPath(hash);
  Deno.mkdirSync(f.at("tree/ro/sub"), { recursive: true });
  Deno.writeTextFileSync(f.at("tree/top.txt"), "top\n");
  Deno.writeTextFileSync(f.at("tree/ro/sub/file.txt"), "file\n");
  Deno.linkSync(blob, f.at("tree/ro/sub/link.txt"));
  Deno.chmodSync(f.at("tree/ro/sub"), 0o555);
  Deno.chmodSync(f.at("tree/ro"), 0o555);
  Deno.writeTextFileSync(f.at("sibling.txt"), "sibling\n");

  await removePath(f.at("tree"));

  assert.deepEqual(tree(f.ws), ["sibling.txt"]);
  assert.equal(modeOf(blob), 0o444);
  assert.equal(Deno.statSync(blob).nlink, 1);
});

/** Why removePath() cannot be tried as an unprivileged user, or `null`. */
const unprivilegedProblem: string | null = Deno.uid() !== 0
  ? "not root: the in-process test already runs unprivileged"
  : exists("/usr/bin/setpriv")
  ? null
  : "setpriv is not installed";

/**
 * Runs `_writers/remove_tree.ts` as user `nobody` (65534) in a fresh
 * world-writable directory owned by root; returns what it printed.
 */
async function removeTreeAsNobody(layout: "own" | "shared"): Promise<unknown> {
  const dir = Deno.makeTempDirSync({ prefix: "pivot_unpriv_" });
  try {
    Deno.chmodSync(dir, 0o777);
    const script = path.join(import.meta.dirname!, "_writers", "remove_tree.ts");
    const output = await new Deno.Command("/usr/bin/setpriv", {
      args: [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        Deno.execPath(),
        "run",
        "-A",
        "--quiet",
        "--no-config",
        "--no-lock",
        script,
        dir,
        layout,
      ],
      env: { HOME: dir, DENO_DIR: path.join(dir, ".deno"), NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    return JSON.parse(new TextDecoder().decode(output.stdout));
  } finally {
    forceRemove(dir);
  }
}

const REMOVED_AS_NOBODY = {
  uid: 65534,
  refused: true,
  treeError: null,
  singleError: null,
  treeExists: false,
  singleLinkExists: false,
  blobMode: 0o444,
  blobLinks: 1,
};

Deno.test({
  name: "removePath() removes read-only directories as an unprivileged user",
  ignore: unprivilegedProblem !== null,
  fn: async () => {
    assert.deepEqual(await removeTreeAsNobody("own"), REMOVED_AS_NOBODY);
  },
});

Deno.test({
  name: "removePath() removes read-only directories inside a shared directory it does not own",
  fn: async () => {
    assert.deepEqual(await removeTreeAsNobody("shared"), REMOVED_AS_NOBODY);
  },
});

Deno.test("removePath() ignores a missing path", async () => {
  using f = fixture();
  await removePath(f.at("does-not-exist"));
  await removePath(f.at("no/such/dir"));
  assert.deepEqual(tree(f.ws), []);
});
