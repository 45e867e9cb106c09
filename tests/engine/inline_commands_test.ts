/**
 * `cmd` jobs run from the coordinator's own thread (a run with only a few
 * stages to run starts no pool worker): the same output lines, outcomes,
 * process groups and cancelling as on a pool worker; `run` jobs still go to
 * the pool, asked for only when one comes.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { InlineCommands } from "../../src/engine/inline_commands.ts";
import { GROUP_REPORT_AFTER_MS } from "../../src/engine/run_command.ts";
import type { CmdJob, StageJob } from "../../src/engine/stage_job.ts";
import type { JobOutcome, JobRunner } from "../../src/engine/worker_pool.ts";
import { tempDir } from "../_helpers/files.ts";

/** A `cmd` job running `command` in `cwd`. */
function cmdJob(command: string, cwd: string, env: Record<string, string> = {}): CmdJob {
  return { kind: "cmd", stage: "test", command, cwd, env };
}

/** A pool that records what it was asked to do and ends every job with `null`. */
class RecordingPool implements JobRunner {
  readonly jobs: string[] = [];
  readonly calls: string[] = [];

  run(job: StageJob): Promise<JobOutcome> {
    this.jobs.push(job.stage);
    return Promise.resolve(null);
  }

  cancelAll(): void {
    this.calls.push("cancelAll");
  }

  close(): void {
    this.calls.push("close");
  }
}

/** An inline runner whose pool is `pool`; `asked` counts the times the pool was asked for. */
function inline(
  pool: JobRunner = new RecordingPool(),
): { runner: InlineCommands; asked: number[] } {
  const asked: number[] = [];
  return {
    runner: new InlineCommands(() => {
      asked.push(1);
      return pool;
    }),
    asked,
  };
}

/** Resolves once `predicate()` holds (polling), failing after `timeoutMs`. */
async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** True when process `pid` is alive (or a zombie not yet reaped). */
function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

Deno.test("InlineCommands runs a cmd job itself, lines in order, without asking for the pool", async () => {
  await using dir = await tempDir();
  const { runner, asked } = inline();
  const lines: string[] = [];
  const outcome = await runner.run(
    cmdJob(
      'echo one; echo two >&2; printf "three\\r\\nfour\\n"; echo "$PIVOT_X" "$(pwd)"; printf tail',
      dir.path,
      { PIVOT_X: "x value" },
    ),
    (line, stream) => lines.push(`${stream}: ${line}`),
  );
  assert.equal(outcome, null);
  assert.deepEqual(lines.filter((line) => line.startsWith("stdout")), [
    "stdout: one",
    "stdout: three",
    "stdout: four",
    `stdout: x value ${dir.path}`,
    "stdout: tail",
  ]);
  assert.deepEqual(lines.filter((line) => line.startsWith("stderr")), ["stderr: two"]);
  assert.deepEqual(asked, [], "no pool was asked for");
  runner.close();
});

Deno.test("InlineCommands says how a command failed or why it did not start", async () => {
  await using dir = await tempDir();
  const { runner } = inline();
  assert.equal(
    await runner.run(cmdJob("exit 3", dir.path), () => {}),
    "command exited with status 3",
  );
  assert.equal(
    await runner.run(cmdJob("kill -9 $$", dir.path), () => {}),
    "command was killed by SIGKILL",
  );
  const gone = path.join(dir.path, "gone");
  assert.match(
    (await runner.run(cmdJob("true", gone), () => {})) ?? "",
    new RegExp(`^NotFound: Failed to spawn '[^']+': No such cwd '${gone}'$`),
  );
  runner.close();
});

Deno.test({
  name: "InlineCommands runs a command in a process group of its own, which cancelAll() ends",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    await using dir = await tempDir();
    const { runner } = inline();
    const groups: number[] = [];
    const lines: string[] = [];
    const started = Date.now();
    // `sleep` is a child of `sh`: ending only the shell would leave it holding stdout open.
    const outcome = runner.run(
      cmdJob("echo $$; sleep 10 & echo $!; wait; echo after", dir.path),
      (line) => lines.push(line),
      (group) => groups.push(group),
    );
    await until(() => lines.length === 2 && groups.length === 1);
    const [shell, sleeper] = lines.map(Number);
    assert.deepEqual(groups, [shell], "the shell leads the group");
    runner.cancelAll();
    assert.equal(await outcome, "command was killed by SIGTERM");
    assert.ok(Date.now() - started < 5_000, "the command ran on after cancelAll()");
    await until(() => !alive(sleeper!));
    assert.deepEqual(lines.length, 2, "nothing after the cancel");
    runner.close();
  },
});

Deno.test({
  name: "InlineCommands reports a command's group only once it has run for GROUP_REPORT_AFTER_MS",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    await using dir = await tempDir();
    const { runner } = inline();
    const reported: { group: number; afterMs: number }[] = [];
    const job = async (command: string) => {
      const lines: string[] = [];
      const started = performance.now();
      const outcome = await runner.run(
        cmdJob(command, dir.path),
        (line) => lines.push(line),
        (group) => reported.push({ group, afterMs: performance.now() - started }),
      );
      assert.equal(outcome, null);
      return lines;
    };
    // Ended sooner: no report (its PIVOT_CLAIM is what would have found it).
    for (let i = 0; i < 5; i++) await job("exit 0");
    assert.equal(reported.length, 0);
    // Still running then: reported once, the shell leading the group.
    const [shell] = await job(`echo $$; sleep ${(GROUP_REPORT_AFTER_MS * 4) / 1000}`);
    assert.equal(reported.length, 1);
    assert.equal(reported[0]!.group, Number(shell));
    assert.ok(reported[0]!.afterMs >= GROUP_REPORT_AFTER_MS, `after ${reported[0]!.afterMs} ms`);
    runner.close();
  },
});

Deno.test("InlineCommands close() ends running commands with 'interrupted' and refuses new jobs", async () => {
  await using dir = await tempDir();
  const { runner } = inline();
  const lines: string[] = [];
  const outcome = runner.run(cmdJob("echo started; exec sleep 2", dir.path), (l) => lines.push(l));
  await until(() => lines.length > 0);
  runner.cancelAll();
  runner.close();
  assert.equal(await outcome, "interrupted");
  await assert.rejects(runner.run(cmdJob("true", dir.path), () => {}), /worker pool is closed/);
});

Deno.test("InlineCommands hands run jobs to the pool, asked for once, and passes cancel and close on", async () => {
  await using dir = await tempDir();
  const pool = new RecordingPool();
  const { runner, asked } = inline(pool);
  runner.cancelAll();
  assert.deepEqual(pool.calls, [], "a pool never asked for is not started to cancel");
  const run: StageJob = {
    kind: "run",
    stage: "fn",
    moduleUrl: pathToFileURL(path.join(dir.path, "stages.ts")).href,
    exportPath: ["run"],
    deps: [],
    outs: [],
    params: {},
    stageName: "fn",
  };
  assert.equal(await runner.run(run, () => {}), null);
  assert.equal(await runner.run(cmdJob("true", dir.path), () => {}), null);
  assert.equal(await runner.run({ ...run, stage: "fn2" }, () => {}), null);
  assert.deepEqual(pool.jobs, ["fn", "fn2"]);
  assert.deepEqual(asked, [1]);
  runner.cancelAll();
  runner.close();
  assert.deepEqual(pool.calls, ["cancelAll", "close"]);
});
