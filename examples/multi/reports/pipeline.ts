import type { PipelineDefinition } from "pivot";

export default {
  stages: {
    summary: {
      deps: { model: "prep/train:model", folds: ["eval/score@1", "eval/score@2"] },
      outs: "json",
      run: ({ deps }) => ({ model: deps.model, folds: deps.folds }),
    },
  },
} satisfies PipelineDefinition;
