/**
 * The retry schedule itself, with the waits recorded instead of slept: the
 * e2e tests of failing remotes use a short `remote.retry_delay`, so the
 * default schedule (250 ms doubling, at most 8 s, half of it jitter) is
 * proven here.
 */
import assert from "node:assert/strict";
import { RemoteError, retryDelay, type Sleep, withRetry } from "../../src/remote/mod.ts";

/** A request that fails `failures` times with a retryable error, then answers "done". */
function flaky(failures: number): { request: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    request: () => {
      calls++;
      if (calls <= failures) {
        return Promise.reject(new RemoteError("HTTP 503", { retryable: true }));
      }
      return Promise.resolve("done");
    },
    calls: () => calls,
  };
}

/** A sleep that records what it was asked to wait and returns at once. */
function recordingSleep(): { sleep: Sleep; waits: number[] } {
  const waits: number[] = [];
  return { sleep: (ms) => (waits.push(ms), Promise.resolve()), waits };
}

/** Asserts that `delay` lies in the jittered band of `ceiling`: [ceiling/2, ceiling]. */
function assertInBand(delay: number, ceiling: number, what: string): void {
  assert.ok(delay >= ceiling / 2 && delay <= ceiling, `${what}: ${delay} ms, ceiling ${ceiling}`);
}

Deno.test("withRetry waits 125–250, 250–500, 500–1000, 1000–2000 ms by default, then answers", async () => {
  for (let trial = 0; trial < 20; trial++) {
    const { request, calls } = flaky(4);
    const { sleep, waits } = recordingSleep();
    const told: [number, number][] = [];
    const started = performance.now();
    const answer = await withRetry(
      request,
      { retries: 4 },
      (attempt, delay) => told.push([attempt, delay]),
      sleep,
    );
    assert.equal(answer, "done");
    assert.equal(calls(), 5);
    assert.deepEqual(told, waits.map((wait, i) => [i + 1, wait]));
    [250, 500, 1_000, 2_000].forEach((ceiling, i) => assertInBand(waits[i]!, ceiling, `wait ${i}`));
    assert.equal(waits.length, 4);
    // Nothing was slept for real.
    assert.ok(performance.now() - started < 1_000);
  }
});

Deno.test("retryDelay doubles from the base, stops growing at the maximum, and jitters within the upper half", () => {
  const samples = (policy: Parameters<typeof retryDelay>[0], attempt: number) =>
    Array.from({ length: 200 }, () => retryDelay(policy, attempt));
  for (const [attempt, ceiling] of [[1, 250], [2, 500], [5, 4_000], [6, 8_000], [9, 8_000]]) {
    const delays = samples({ retries: 9 }, attempt!);
    for (const delay of delays) assertInBand(delay, ceiling!, `attempt ${attempt}`);
    // The jitter spreads the delays (200 equal ones would bring throttled clients back together).
    assert.ok(new Set(delays).size > 100, `attempt ${attempt}: ${new Set(delays).size} distinct`);
  }
  for (const delay of samples({ retries: 3, baseDelayMs: 20 }, 1)) {
    assertInBand(delay, 20, "base 20");
  }
  for (const delay of samples({ retries: 3, baseDelayMs: 20 }, 3)) {
    assertInBand(delay, 80, "base 20");
  }
  for (const delay of samples({ retries: 3, baseDelayMs: 20, maxDelayMs: 50 }, 3)) {
    assertInBand(delay, 50, "max 50");
  }
});

Deno.test("withRetry gives up after retries + 1 attempts, saying so, and waits for each retry", async () => {
  const { request, calls } = flaky(10);
  const { sleep, waits } = recordingSleep();
  await assert.rejects(
    withRetry(request, { retries: 2, baseDelayMs: 40 }, () => {}, sleep),
    (error: unknown) => {
      assert.ok(error instanceof RemoteError);
      assert.equal(error.message, "HTTP 503 (gave up after 3 attempts)");
      return true;
    },
  );
  assert.equal(calls(), 3);
  assert.equal(waits.length, 2);
  assertInBand(waits[0]!, 40, "first wait");
  assertInBand(waits[1]!, 80, "second wait");
});

Deno.test("withRetry passes an error that no retry fixes through at once, without waiting", async () => {
  const { sleep, waits } = recordingSleep();
  let calls = 0;
  const denied = new RemoteError("access denied");
  await assert.rejects(
    withRetry(() => (calls++, Promise.reject(denied)), { retries: 4 }, () => {}, sleep),
    (error: unknown) => error === denied,
  );
  const plain = new Error("not a remote error");
  await assert.rejects(
    withRetry(() => (calls++, Promise.reject(plain)), { retries: 4 }, () => {}, sleep),
    (error: unknown) => error === plain,
  );
  assert.equal(calls, 2);
  assert.deepEqual(waits, []);
});
