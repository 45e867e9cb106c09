import assert from "node:assert/strict";
import { ZeroDelayTimers } from "../../src/engine/zero_delay_timers.ts";

/** A scope whose timer functions are the real ones, counting the calls that reach them. */
function countingScope() {
  const calls: string[] = [];
  const scope = {
    setTimeout: (handler: () => void, delay?: number) => {
      calls.push(`setTimeout ${delay}`);
      return setTimeout(handler, delay);
    },
    setInterval: (handler: () => void, delay?: number) => {
      calls.push(`setInterval ${delay}`);
      return setInterval(handler, delay);
    },
    clearTimeout: (id?: number) => clearTimeout(id),
    clearInterval: (id?: number) => clearInterval(id),
  };
  return { scope, calls };
}

Deno.test("ZeroDelayTimers: settle() waits for a timer set with no delay only while one is pending", async () => {
  const { scope, calls } = countingScope();
  const timers = new ZeroDelayTimers();
  timers.install(scope as unknown as typeof globalThis);
  const wrapped = scope as unknown as typeof globalThis;

  // Nothing pending: no timer of its own.
  await timers.settle();
  assert.deepEqual(calls, []);

  // A zero-delay timer has fired by the time settle() resolves.
  const fired: string[] = [];
  wrapped.setTimeout(() => fired.push("zero"), 0);
  await timers.settle();
  assert.deepEqual(fired, ["zero"]);
  // Its own timer only if the stage's had not fired by the first turn (a loaded machine).
  assert.ok(calls.length <= 2 && calls.every((call) => call === "setTimeout 0"), String(calls));

  // Fired or cleared timers are no longer pending; timers with a delay never were.
  calls.length = 0;
  const cleared = wrapped.setTimeout(() => fired.push("cleared"), 0);
  wrapped.clearTimeout(cleared);
  const later = wrapped.setTimeout(() => fired.push("later"), 50);
  await timers.settle();
  assert.deepEqual(calls, ["setTimeout 0", "setTimeout 50"]);
  wrapped.clearTimeout(later);

  // A zero-delay interval stays pending until cleared.
  calls.length = 0;
  const every = wrapped.setInterval(() => fired.push("tick"), 0);
  await timers.settle();
  assert.equal(calls.filter((call) => call === "setTimeout 0").length, 1);
  wrapped.clearInterval(every);
  calls.length = 0;
  await timers.settle();
  assert.deepEqual(calls, []);
});

Deno.test("ZeroDelayTimers: settle() lets a promise left rejected be reported first", async () => {
  const timers = new ZeroDelayTimers();
  const reported: unknown[] = [];
  const onRejection = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    reported.push(event.reason);
  };
  globalThis.addEventListener("unhandledrejection", onRejection);
  try {
    Promise.reject("nobody");
    await timers.settle();
    assert.deepEqual(reported, ["nobody"]);
  } finally {
    globalThis.removeEventListener("unhandledrejection", onRejection);
  }
});
