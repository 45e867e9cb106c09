/**
 * Runs `sh -c true` as a `cmd` job `count` times (argument 2) on a one-worker
 * pool in directory argument 1, for a test that watches how the commands are
 * started (under `strace`).
 *
 * @module
 */
import { workerEntryUrl, WorkerPool } from "../../src/engine/worker_pool.ts";

const [dir = ".", count = "1"] = Deno.args;
const pool = new WorkerPool(1, workerEntryUrl());
try {
  for (let i = 0; i < Number(count); i++) {
    const outcome = await pool.run(
      { kind: "cmd", stage: "probe", command: "true", cwd: dir, env: {} },
      () => {},
    );
    if (outcome !== null) throw new Error(outcome);
  }
} finally {
  pool.close();
}
