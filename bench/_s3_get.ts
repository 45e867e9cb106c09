/**
 * The download baseline of the transfer benchmark where the AWS CLI cannot
 * be used: `aws s3 cp --recursive` lists the prefix with ListObjectsV2, and
 * s3rver running on Deno fails every listing past 1,000 keys (its
 * continuation tokens use DES, which Deno's `node:crypto` lacks). This
 * script downloads the given keys with `@aws-sdk/client-s3` directly, JOBS at
 * a time, each streamed to a file, and nothing else (no hashing, no checkout).
 *
 * `deno run -A bench/_s3_get.ts ENDPOINT BUCKET KEYS_FILE TARGET_DIR JOBS`,
 * credentials from the environment; KEYS_FILE holds one key a line, each
 * written to TARGET_DIR/<key>.
 *
 * @module
 */
import * as path from "node:path";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { runPool } from "../src/util/pool.ts";

const [endpoint, bucket, keysFile, target, jobs] = Deno.args;
if (
  endpoint === undefined || keysFile === undefined || target === undefined || jobs === undefined
) {
  throw new Error("usage: _s3_get.ts ENDPOINT BUCKET KEYS_FILE TARGET_DIR JOBS");
}
const keys = (await Deno.readTextFile(keysFile)).split("\n").filter((key) => key !== "");
const client = new S3Client({ endpoint, forcePathStyle: true, region: "us-east-1" });
await runPool(keys, Number(jobs), async (key) => {
  const file = path.join(target, key);
  await Deno.mkdir(path.dirname(file), { recursive: true });
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = response.Body?.transformToWebStream();
  if (body === undefined) throw new Error(`${key}: no body`);
  await body.pipeTo((await Deno.create(file)).writable);
});
client.destroy();
