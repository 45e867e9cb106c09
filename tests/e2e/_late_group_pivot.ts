/**
 * A pivot that is killed, every time, before it has noted its command's
 * process group in the stage's sentinel: it runs every stage of the project
 * in the working directory, as `pivot repro` does, on a real worker pool,
 * but the pool's report of each command's group is held back, as if the
 * worker's message were still on its way to the coordinator when the
 * command killed the pivot. For `concurrent_repro_test.ts`, whose stage
 * command kills this process (`kill -9 $PPID`).
 *
 * Usage: `deno run -A _late_group_pivot.ts` in a pipeline's directory
 *
 * @module
 */
import { type JobRunner, newRunId, runStages, WorkerPool } from "../../src/engine/mod.ts";
import { openSession } from "../../src/session/mod.ts";
import { withPool } from "../engine/_fake_pool.ts";

await using session = await openSession({ cwd: Deno.cwd(), warn: () => {} });
const pool = new WorkerPool(1);
const groupsHeldBack: JobRunner = {
  run: (job, onLog) => pool.run(job, onLog),
  cancelAll: () => pool.cancelAll(),
  close: () => pool.close(),
};
try {
  await runStages(withPool(session, groupsHeldBack), {
    stages: session.project.dag.order,
    jobs: 1,
    runId: newRunId(),
    onEvent: () => {},
  });
} finally {
  pool.close();
}
