import assert from "node:assert/strict";
import { SlotScheduler } from "../../src/engine/slot_scheduler.ts";
import { FUNCTIONS_AHEAD } from "../../src/engine/worker_pool.ts";

/** Lets every pending promise callback run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A scheduler whose requests are named, to see which hold a slot. */
class Harness {
  readonly scheduler: SlotScheduler;
  /** Names holding a slot now. */
  readonly running = new Set<string>();
  /** Names in the order they were granted. */
  readonly granted: string[] = [];
  /** Most slots ever held at once. */
  peak = 0;
  readonly #release = new Map<string, () => void>();

  constructor(jobs: number) {
    this.scheduler = new SlotScheduler(jobs);
  }

  /** Requests a slot for `name` in `groups` (does not wait for it). */
  request(name: string, groups: readonly string[] = []): void {
    void this.scheduler.acquire(groups).then((release) => {
      this.running.add(name);
      this.granted.push(name);
      this.peak = Math.max(this.peak, this.running.size);
      this.#release.set(name, release);
    });
  }

  /** Releases `name`'s slot. */
  release(name: string): void {
    const release = this.#release.get(name);
    assert.ok(release !== undefined, `${name} holds no slot`);
    this.running.delete(name);
    release();
  }

  /** The release function of `name`, for calling it again. */
  releaseFn(name: string): () => void {
    return this.#release.get(name)!;
  }

  /** Names running now, sorted. */
  now(): string[] {
    return [...this.running].sort();
  }
}

Deno.test("SlotScheduler never grants more than `jobs` slots at once", async () => {
  const h = new Harness(2);
  for (const name of ["a", "b", "c", "d", "e"]) h.request(name);
  await settle();
  assert.deepEqual(h.now(), ["a", "b"]);
  h.release("a");
  await settle();
  assert.deepEqual(h.now(), ["b", "c"]);
  h.release("b");
  h.release("c");
  await settle();
  assert.deepEqual(h.now(), ["d", "e"]);
  h.release("d");
  h.release("e");
  await settle();
  assert.deepEqual(h.granted, ["a", "b", "c", "d", "e"]);
  assert.equal(h.peak, 2);
});

Deno.test("SlotScheduler treats jobs below 1 as 1", async () => {
  const h = new Harness(0);
  h.request("a");
  h.request("b");
  await settle();
  assert.deepEqual(h.now(), ["a"]);
  h.release("a");
  await settle();
  assert.deepEqual(h.now(), ["b"]);
});

Deno.test("SlotScheduler admits one stage of a mutex group at a time", async () => {
  const h = new Harness(4);
  h.request("gpu1", ["gpu"]);
  h.request("gpu2", ["gpu"]);
  h.request("gpu3", ["gpu", "disk"]);
  await settle();
  assert.deepEqual(h.now(), ["gpu1"]);
  h.release("gpu1");
  await settle();
  assert.deepEqual(h.now(), ["gpu2"]);
  h.release("gpu2");
  await settle();
  assert.deepEqual(h.now(), ["gpu3"]);
  h.release("gpu3");
  await settle();
  assert.deepEqual(h.granted, ["gpu1", "gpu2", "gpu3"]);
});

Deno.test("SlotScheduler runs stages of different groups side by side", async () => {
  const h = new Harness(4);
  h.request("gpu", ["gpu"]);
  h.request("disk", ["disk"]);
  h.request("free");
  await settle();
  assert.deepEqual(h.now(), ["disk", "free", "gpu"]);
});

Deno.test("SlotScheduler lets a later stage pass one waiting for its group on release", async () => {
  const h = new Harness(2);
  h.request("gpu1", ["gpu"]);
  h.request("free1");
  h.request("gpu2", ["gpu"]);
  h.request("free2");
  await settle();
  assert.deepEqual(h.now(), ["free1", "gpu1"]);
  h.release("free1");
  await settle();
  // gpu2 cannot run while gpu1 does; free2 takes the slot.
  assert.deepEqual(h.now(), ["free2", "gpu1"]);
  h.release("gpu1");
  await settle();
  assert.deepEqual(h.now(), ["free2", "gpu2"]);
});

Deno.test({
  name: "SlotScheduler does not hold a stage outside a group behind one waiting for the group",
  fn: async () => {
    const h = new Harness(4);
    h.request("gpu1", ["gpu"]);
    h.request("gpu2", ["gpu"]);
    h.request("free");
    await settle();
    assert.deepEqual(h.now(), ["free", "gpu1"]);
  },
});

Deno.test("SlotScheduler runs a `*` stage alone", async () => {
  const h = new Harness(4);
  h.request("a");
  h.request("b", ["gpu"]);
  h.request("star", ["*"]);
  h.request("c");
  h.request("d", ["disk"]);
  await settle();
  assert.deepEqual(h.now(), ["a", "b"]);
  h.release("a");
  await settle();
  assert.deepEqual(h.now(), ["b"]);
  h.release("b");
  await settle();
  assert.deepEqual(h.now(), ["star"]);
  h.release("star");
  await settle();
  assert.deepEqual(h.now(), ["c", "d"]);
  assert.equal(h.granted.indexOf("star"), 2);
});

Deno.test("SlotScheduler grants a `*` stage at once when nothing runs, then holds the rest", async () => {
  const h = new Harness(4);
  h.request("star", ["*"]);
  h.request("a");
  h.request("b", ["gpu"]);
  await settle();
  assert.deepEqual(h.now(), ["star"]);
  h.release("star");
  await settle();
  assert.deepEqual(h.now(), ["a", "b"]);
});

Deno.test("SlotScheduler lets nothing overtake a waiting `*` stage", async () => {
  const h = new Harness(3);
  h.request("a");
  h.request("b");
  h.request("star", ["*"]);
  h.request("c");
  await settle();
  assert.deepEqual(h.now(), ["a", "b"]);
  // A slot is free and c would fit, but the waiting `*` stage comes first.
  h.release("a");
  await settle();
  assert.deepEqual(h.now(), ["b"]);
  h.request("d");
  await settle();
  assert.deepEqual(h.now(), ["b"]);
  h.release("b");
  await settle();
  assert.deepEqual(h.now(), ["star"]);
  h.release("star");
  await settle();
  assert.deepEqual(h.now(), ["c", "d"]);
});

Deno.test("SlotScheduler release is idempotent", async () => {
  const h = new Harness(1);
  h.request("a", ["gpu"]);
  h.request("b", ["gpu"]);
  h.request("c", ["gpu"]);
  await settle();
  assert.deepEqual(h.now(), ["a"]);
  const releaseA = h.releaseFn("a");
  h.release("a");
  releaseA();
  releaseA();
  await settle();
  // A second release of `a` must not free b's slot or its group for c.
  assert.deepEqual(h.now(), ["b"]);
  h.release("b");
  await settle();
  assert.deepEqual(h.now(), ["c"]);
});

Deno.test("SlotScheduler release twice does not free a group held by another stage", async () => {
  const h = new Harness(4);
  h.request("a", ["gpu"]);
  await settle();
  const releaseA = h.releaseFn("a");
  h.release("a");
  h.request("b", ["gpu"]);
  h.request("c", ["gpu"]);
  await settle();
  assert.deepEqual(h.now(), ["b"]);
  releaseA();
  await settle();
  assert.deepEqual(h.now(), ["b"]);
});

Deno.test("SlotScheduler admits up to `jobs` × (1 + FUNCTIONS_AHEAD) stages handed ahead, and others only below `jobs`", async () => {
  const scheduler = new SlotScheduler(2);
  const cap = 2 * (1 + FUNCTIONS_AHEAD);
  const granted: string[] = [];
  const releases = new Map<string, () => void>();
  const request = (name: string, groups: readonly string[], ahead: boolean) =>
    void scheduler.acquire(groups, { ahead }).then((release) => {
      granted.push(name);
      releases.set(name, release);
    });
  const ahead = Array.from({ length: cap + 1 }, (_, i) => `a${i}`);
  for (const name of ahead) request(name, [], true);
  request("cmd", [], false);
  // A stage in a mutex group is never handed ahead.
  request("grouped", ["g"], true);
  await settle();
  assert.deepEqual(granted, ahead.slice(0, cap));
  releases.get("a0")!();
  await settle();
  assert.deepEqual(granted, ahead);
  for (const name of ahead.slice(1, cap)) releases.get(name)!();
  await settle();
  // The last one holds one of the two slots a stage not handed ahead may use.
  assert.deepEqual(granted, [...ahead, "cmd"]);
  releases.get("cmd")!();
  await settle();
  assert.deepEqual(granted, [...ahead, "cmd", "grouped"]);
});

Deno.test("SlotScheduler with 2 jobs admits 18 functions handed ahead (8 behind each running one: half the worker wake-ups of 4) but only 6 commands", async () => {
  for (const [command, cap] of [[false, 18], [true, 6]] as const) {
    const scheduler = new SlotScheduler(2);
    let granted = 0;
    for (let i = 0; i < cap + 1; i++) {
      void scheduler.acquire([], { ahead: true, command }).then(() => granted++);
    }
    await settle();
    assert.equal(granted, cap, command ? "commands" : "functions");
  }
});
