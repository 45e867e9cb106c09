import assert from "node:assert/strict";
import {
  environmentError,
  environmentErrorCode,
  environmentHint,
} from "../../src/util/environment_error.ts";
import { PivotError } from "../../src/util/errors.ts";
import { makeProject } from "../_helpers/project.ts";

/** The error `work` throws. */
function thrown(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  assert.fail("expected an error");
}

Deno.test("environmentErrorCode() reads Deno's code, else the (os error N) of the message", async () => {
  await using p = await makeProject({ "file.txt": "x" });
  assert.equal(environmentErrorCode(thrown(() => Deno.readTextFileSync(p.root))), "EISDIR");
  assert.equal(
    environmentErrorCode(thrown(() => Deno.writeTextFileSync(p.path("file.txt/x"), ""))),
    "ENOTDIR",
  );
  assert.equal(
    environmentErrorCode(new Error("No space left on device (os error 28): writefile '/x'")),
    "ENOSPC",
  );
  assert.equal(environmentErrorCode(new Error("Read-only file system (os error 30)")), "EROFS");
  assert.equal(environmentErrorCode(thrown(() => Deno.readTextFileSync(p.path("nope")))), null);
  assert.equal(environmentErrorCode(new Error("boom")), null);
  assert.equal(environmentErrorCode("ENOSPC"), null);
});

Deno.test("environmentError() names the action, the file, the cause and the fix", async (t) => {
  const cases: [string, string, string][] = [
    ["ENOSPC", "no space left on device", "free some space on the disk holding /p/x.lock"],
    [
      "EROFS",
      "read-only file system",
      "/p/x.lock is on a file system mounted read-only; remount it writable",
    ],
    [
      "EACCES",
      "permission denied",
      "check the permissions of /p/x.lock and of the directories above it",
    ],
    ["EISDIR", "it is a directory", "remove or rename the directory /p/x.lock"],
    [
      "ENOTDIR",
      "a part of its path is a file, not a directory",
      "remove or rename the file that stands where a directory on the way to /p/x.lock should be",
    ],
    ["EIO", "input/output error", "check the disk holding /p/x.lock: is it full or failing?"],
  ];
  for (const [code, what, fix] of cases) {
    await t.step(code, () => {
      const cause = Object.assign(new Error("os says no"), { code });
      const error = environmentError(cause, { file: "/p/x.lock", action: "write" });
      assert.ok(error instanceof PivotError);
      assert.equal(error.message, `cannot write /p/x.lock: ${what}`);
      assert.equal(error.hint, fix);
      assert.equal(error.cause, cause);
    });
  }
  await t.step("an alternative is added to the hint", () => {
    const error = environmentError(Object.assign(new Error(""), { code: "ENOSPC" }), {
      file: "/c",
      action: "write to the cache",
      alternative: "or move it",
    });
    assert.ok(error instanceof PivotError);
    assert.equal(error.message, "cannot write to the cache /c: no space left on device");
    assert.equal(error.hint, "free some space on the disk holding /c, or move it");
  });
  await t.step("a code given for an error without one (SQLite's)", () => {
    const error = environmentError(new Error("database or disk is full"), {
      file: "/p/state.db",
      action: "write",
      code: "ENOSPC",
    });
    assert.ok(error instanceof PivotError);
    assert.equal(error.message, "cannot write /p/state.db: no space left on device");
  });
});

Deno.test("environmentError() returns other errors and PivotErrors unchanged", () => {
  const plain = new Error("boom");
  assert.equal(environmentError(plain, { file: "/x", action: "read" }), plain);
  const pivot = new PivotError("already clear", { hint: "do this" });
  assert.equal(environmentError(pivot, { file: "/x", action: "read" }), pivot);
  const missing = new Deno.errors.NotFound("No such file or directory (os error 2)");
  assert.equal(environmentError(missing, { file: "/x", action: "read" }), missing);
});

Deno.test("environmentHint() names the path Deno put in the message, when there is one", () => {
  assert.equal(
    environmentHint(new Error("No space left on device (os error 28): writefile '/p/a b.txt'")),
    "free some space on the disk holding /p/a b.txt",
  );
  assert.equal(
    environmentHint(new Error("No space left on device (os error 28)")),
    "free some space on the disk holding the file; run again with --verbose to see which",
  );
  assert.equal(environmentHint(new Error("boom")), null);
});
