import assert from "node:assert/strict";
import { buildDag } from "../../src/dag/mod.ts";
import { lookAhead, STAGES_AHEAD } from "../../src/engine/run_stages.ts";
import { namedStage } from "../dag/_stages.ts";

/** `name` as a stage function's stage (`namedStage` makes commands). */
function functionStage(name: string) {
  const stage = namedStage(name);
  const action = {
    kind: "run" as const,
    module: "/p/ml/pipeline.ts",
    exportPath: [name],
    display: name,
  };
  return { ...stage, def: { ...stage.def, action } };
}

Deno.test("lookAhead(): a run of stage functions with 2 jobs works on 16 stages beyond them, enough to hand each worker a running function and 8 behind it; commands alone keep STAGES_AHEAD", () => {
  const dag = buildDag([namedStage("c1"), namedStage("c2"), functionStage("f1")]);
  assert.equal(lookAhead(["c1", "c2", "f1"], dag, 2), 16);
  assert.equal(lookAhead(["f1"], dag, 4), 32);
  assert.equal(lookAhead(["c1", "c2"], dag, 2), STAGES_AHEAD);
  assert.equal(STAGES_AHEAD, 8);
});
