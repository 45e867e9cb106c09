import assert from "node:assert/strict";
import { type Blocked, type GateInput, gateStage } from "../../src/engine/run_gate.ts";

/** Nothing went wrong: no upstream, no interruption, no failure, fail-fast. */
const CLEAR: GateInput = { upstream: [], interrupted: false, firstFailure: null, keepGoing: false };

/** One case of the table: the input (over {@linkcode CLEAR}) and the decision. */
interface Case {
  readonly name: string;
  readonly input: Partial<GateInput>;
  readonly expected: Blocked | null;
}

const CASES: readonly Case[] = [
  { name: "nothing wrong: the stage may start", input: {}, expected: null },
  {
    name: "an upstream stage stopped by Ctrl-C while it ran: blocked as interrupted",
    input: {
      upstream: [{ name: "train", status: "failed", blockedBy: null, interrupted: true }],
      interrupted: true,
    },
    expected: { reason: "interrupted", blockedBy: null },
  },
  {
    name: "upstream that ran, was skipped or restored: the stage may start",
    input: {
      upstream: [
        { name: "a", status: "ran", blockedBy: null },
        { name: "b", status: "skipped", blockedBy: null },
        { name: "c", status: "restored", blockedBy: null },
      ],
    },
    expected: null,
  },
  {
    name: "an upstream stage failed: blocked, naming it",
    input: {
      upstream: [
        { name: "ok", status: "ran", blockedBy: null },
        { name: "prep", status: "failed", blockedBy: null },
      ],
      firstFailure: "prep",
      keepGoing: true,
    },
    expected: { reason: "upstream 'prep' failed", blockedBy: "prep" },
  },
  {
    name: "an upstream stage blocked by a failure: blocked, naming the root failed stage",
    input: {
      upstream: [{
        name: "train",
        status: "blocked",
        blockedBy: "prep",
      }],
      firstFailure: "prep",
      keepGoing: true,
    },
    expected: { reason: "upstream 'prep' failed", blockedBy: "prep" },
  },
  {
    name: "an upstream stage blocked by fail-fast names the failed stage, not its reason",
    input: {
      upstream: [{ name: "other", status: "blocked", blockedBy: "prep" }],
      firstFailure: "prep",
    },
    expected: { reason: "upstream 'prep' failed", blockedBy: "prep" },
  },
  {
    name: "an upstream stage blocked by an interruption: interrupted",
    input: { upstream: [{ name: "train", status: "blocked", blockedBy: null }] },
    expected: { reason: "interrupted", blockedBy: null },
  },
  {
    name: "interrupted: nothing starts",
    input: { interrupted: true },
    expected: { reason: "interrupted", blockedBy: null },
  },
  {
    name: "interrupted also with keep-going",
    input: { interrupted: true, keepGoing: true },
    expected: { reason: "interrupted", blockedBy: null },
  },
  {
    name: "fail-fast: an independent stage does not start after a failure",
    input: { firstFailure: "prep" },
    expected: { reason: "not started: 'prep' failed", blockedBy: "prep" },
  },
  {
    name: "keep-going: an independent stage starts after a failure",
    input: { firstFailure: "prep", keepGoing: true },
    expected: null,
  },
  {
    name: "a failed upstream wins over an interruption",
    input: {
      upstream: [{ name: "prep", status: "failed", blockedBy: null }],
      interrupted: true,
      firstFailure: "prep",
    },
    expected: { reason: "upstream 'prep' failed", blockedBy: "prep" },
  },
  {
    name: "an upstream blocked by a failure wins over an interruption",
    input: {
      upstream: [{ name: "train", status: "blocked", blockedBy: "prep" }],
      interrupted: true,
    },
    expected: { reason: "upstream 'prep' failed", blockedBy: "prep" },
  },
  {
    name: "a broken upstream wins over fail-fast's 'not started'",
    input: {
      upstream: [{ name: "prep", status: "failed", blockedBy: null }],
      firstFailure: "other",
    },
    expected: { reason: "upstream 'prep' failed", blockedBy: "prep" },
  },
  {
    name: "an interruption wins over fail-fast's 'not started'",
    input: { interrupted: true, firstFailure: "prep" },
    expected: { reason: "interrupted", blockedBy: null },
  },
  {
    name: "the first broken upstream (in the given order) is named",
    input: {
      upstream: [
        { name: "a", status: "ran", blockedBy: null },
        { name: "b", status: "blocked", blockedBy: null },
        { name: "c", status: "failed", blockedBy: null },
      ],
    },
    expected: { reason: "interrupted", blockedBy: null },
  },
];

Deno.test("gateStage() decides whether a stage may start", async (t) => {
  for (const { name, input, expected } of CASES) {
    await t.step(name, () => {
      assert.deepEqual(gateStage({ ...CLEAR, ...input }), expected);
    });
  }
});
