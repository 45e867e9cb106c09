import assert from "node:assert/strict";
import { parseRemoteUrl, Redactor, redactUrl } from "../../src/remote/mod.ts";
import { PivotError } from "../../src/util/errors.ts";

Deno.test("parseRemoteUrl() reads s3 URLs, directory paths and file:// URLs", () => {
  assert.deepEqual(parseRemoteUrl("s3://bucket", "/p"), {
    kind: "s3",
    bucket: "bucket",
    prefix: "",
  });
  assert.deepEqual(parseRemoteUrl("s3://bucket/a//b/", "/p"), {
    kind: "s3",
    bucket: "bucket",
    prefix: "a/b/",
  });
  assert.deepEqual(parseRemoteUrl("../shared", "/p/proj"), {
    kind: "directory",
    path: "/p/shared",
  });
  assert.deepEqual(parseRemoteUrl("/mnt/nfs/pivot", "/p"), {
    kind: "directory",
    path: "/mnt/nfs/pivot",
  });
  assert.deepEqual(parseRemoteUrl("file:///mnt/nfs/pivot", "/p"), {
    kind: "directory",
    path: "/mnt/nfs/pivot",
  });
});

Deno.test("parseRemoteUrl() rejects what it cannot use, naming what is allowed and never a credential", async (t) => {
  const cases: [string, string][] = [
    ["gs://bucket/x", "invalid remote URL 'gs://bucket/x': unsupported scheme 'gs'"],
    ["s3://", "invalid remote URL 's3://': '' is not a bucket name"],
    ["s3://bk/../x", "invalid remote URL 's3://bk/../x': the prefix has a '.' or '..' segment"],
    [
      "s3://key:secret@bucket/x",
      "invalid remote URL 's3://***@bucket/x': credentials do not belong in the URL",
    ],
    ["file://otherhost/x", "invalid remote URL 'file://otherhost/x': not a local file:// URL"],
  ];
  for (const [url, message] of cases) {
    await t.step(url, () => {
      assert.throws(() => parseRemoteUrl(url, "/p"), (error: unknown) => {
        assert.ok(error instanceof PivotError);
        assert.equal(error.message, message);
        assert.equal(error.hint, "use s3://bucket/prefix, a directory path or a file:// URL");
        return true;
      });
    });
  }
});

Deno.test("Redactor removes known secrets, URL credentials and signed-URL parameters", () => {
  const redactor = new Redactor(["s3cr3t/key+1", undefined, "ab"]);
  assert.equal(
    redactUrl("see http://user:pw@host:9/x and https://h/y"),
    "see http://***@host:9/x and https://h/y",
  );
  assert.equal(
    redactor.redact(
      "key s3cr3t/key+1 (s3cr3t%2Fkey%2B1) at https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA/x&X-Amz-Signature=abc123&x-id=Get ab",
    ),
    "key *** (***) at https://b.s3.amazonaws.com/k?X-Amz-Credential=***&X-Amz-Signature=***&x-id=Get ab",
  );
});

Deno.test("parseRemoteUrl() refuses a scheme written without '//', suggesting the URL meant", async (t) => {
  const cases: [string, string, string][] = [
    ["s3:/bucket/x", "'s3:' must be followed by '//'", "s3://bucket/x"],
    ["S3:bucket", "'S3:' must be followed by '//'", "s3://bucket"],
    ["file:/mnt/share", "'file:' must be followed by '//'", "file:///mnt/share"],
    ["file:data", "'file:' must be followed by '//'", "./data"],
  ];
  for (const [url, problem, meant] of cases) {
    await t.step(url, () => {
      assert.throws(() => parseRemoteUrl(url, "/p"), (error: unknown) => {
        assert.ok(error instanceof PivotError);
        assert.equal(error.message, `invalid remote URL '${url}': ${problem}`);
        assert.equal(
          error.hint,
          `did you mean '${meant}'? (a directory whose name has a colon: write ./${url})`,
        );
        return true;
      });
    });
  }
  // Other schemes are refused as unsupported, without a suggestion pivot would refuse too.
  assert.throws(
    () => parseRemoteUrl("gs:/bucket/x", "/p"),
    (error: unknown) =>
      error instanceof PivotError &&
      error.message === "invalid remote URL 'gs:/bucket/x': unsupported scheme 'gs'" &&
      error.hint === "use s3://bucket/prefix, a directory path or a file:// URL",
  );
  assert.deepEqual(parseRemoteUrl("./s3:/bucket", "/p"), {
    kind: "directory",
    path: "/p/s3:/bucket",
  });
});
