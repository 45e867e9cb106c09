/**
 * SPEC §13's transfer row: `pivot push` and `pivot pull` of a tracked
 * directory of 2,000 small files (2,000 blobs) to and from s3rver on
 * 127.0.0.1 (the tests' S3 server, in its own process), `-j 1` and `-j 16`
 * taking turns. Every push goes to a new prefix (the remote holds nothing
 * there yet); every pull starts with no cache and no workspace copy.
 *
 * @module
 */
import * as path from "node:path";
import { S3_ACCESS_KEY, startS3Server } from "../tests/_helpers/s3_server.ts";
import { timeRun } from "./_measure.ts";
import { compareRow, memoryRow, type SectionResult, Series } from "./_report.ts";
import type { BenchSession } from "./_session.ts";
import { discard } from "./_trash.ts";

const AWS_ENV = {
  AWS_ACCESS_KEY_ID: S3_ACCESS_KEY,
  AWS_SECRET_ACCESS_KEY: "bench-secret-key",
  AWS_REGION: "us-east-1",
};

/** Runs push and pull at `-j 1` and `-j 16` and returns the section. */
export async function benchRemote(session: BenchSession): Promise<SectionResult> {
  const { blobs, storageRounds } = session.sizes;
  await using server = await startS3Server("bench");
  const project = await Deno.makeTempDir({ prefix: "pivot_bench_remote_" });
  const run = (args: string[]) => timeRun(session.pivot(args), project, { env: AWS_ENV });
  const push = { 1: new Series("push -j 1"), 16: new Series("push -j 16") };
  const pull = { 1: new Series("pull -j 1"), 16: new Series("pull -j 16") };
  try {
    const inputs = path.join(project, "inputs");
    await Deno.mkdir(path.join(project, ".pivot"));
    await Deno.mkdir(inputs);
    for (let i = 0; i < blobs; i++) {
      Deno.writeTextFileSync(path.join(inputs, `${i}.txt`), `blob ${i}\n`);
    }
    await run(["track", "-q", "inputs"]);
    await run(["remote", "add", "origin", "s3://bench/setup"]);
    await run(["remote", "modify", "origin", "endpoint", server.endpoint]);
    const pushed = (prefix: string) => server.keys().filter((k) => k.startsWith(`${prefix}/`));
    let full = "";
    for (let round = 0; round < storageRounds; round++) {
      session.log(`  push round ${round + 1}/${storageRounds}`);
      for (const jobs of [1, 16] as const) {
        const prefix = `r${round}j${jobs}`;
        await run(["remote", "modify", "origin", "url", `s3://bench/${prefix}`]);
        push[jobs].add(await run(["push", "-q", "-j", String(jobs)]));
        if (pushed(prefix).length < blobs) {
          throw new Error(`push -j ${jobs} stored ${pushed(prefix).length} of ${blobs} blobs`);
        }
        full = prefix;
      }
    }
    await run(["remote", "modify", "origin", "url", `s3://bench/${full}`]);
    for (let round = 0; round < storageRounds; round++) {
      session.log(`  pull round ${round + 1}/${storageRounds}`);
      for (const jobs of [1, 16] as const) {
        await discard(path.join(project, ".pivot", "cache"));
        await discard(inputs);
        pull[jobs].add(await run(["pull", "-q", "-j", String(jobs)]));
        const count = [...Deno.readDirSync(inputs)].length;
        if (count !== blobs) throw new Error(`pull -j ${jobs} restored ${count} of ${blobs} files`);
      }
    }
  } finally {
    await discard(project);
  }
  const n = blobs.toLocaleString("en");
  return {
    rows: [
      compareRow(
        `push of ${n} blobs to a loopback S3 server`,
        push[16],
        push[1],
        { kind: "faster by", ratio: 5 },
        "the same with `-j 1`",
      ),
      compareRow(
        `pull of ${n} blobs from a loopback S3 server`,
        pull[16],
        pull[1],
        { kind: "faster by", ratio: 5 },
        "the same with `-j 1`",
      ),
      memoryRow(
        "peak memory of push and pull",
        [push[1], push[16], pull[1], pull[16]],
        [],
        "–",
      ),
    ],
    body: [],
    raw: [push[1], push[16], pull[1], pull[16]].flatMap((s) => s.raw()),
  };
}
