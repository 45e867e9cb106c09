/**
 * Ops tests run in-process against a real temporary project through a
 * {@linkcode Session}, as the CLI would (without parsing or rendering).
 *
 * @module
 */
import { openSession, type Session } from "../../src/session/mod.ts";
import type { TempProject } from "../_helpers/project.ts";

/** Opens the session of `p` (at its root unless `cwd`), its warnings going into `warnings`. */
export function sessionOf(
  p: TempProject,
  warnings: string[] = [],
  cwd: string = p.root,
): Promise<Session> {
  return openSession({ cwd, warn: (message) => warnings.push(message) });
}

/**
 * A `pivot.yaml` of pipeline `ml`: `prep` reads `raw.csv` into `data/ml/prep.txt`,
 * `train` reads it into `data/ml/train/model.txt` (params `lr`). Their
 * commands are never run by these tests: `commitStages` records outputs
 * written by hand.
 */
export const CMD_PIPELINE = [
  "pipeline: ml",
  "stages:",
  "  prep:",
  "    cmd: cp ${deps.raw} ${outs}",
  "    deps: {raw: raw.csv}",
  "    outs: txt",
  "  train:",
  "    cmd: cat ${deps.data} > ${outs.model}",
  "    deps: {data: prep}",
  "    outs: {model: txt, score: {format: json, cache: false}}",
  "    params: {lr: 0.1}",
  "",
].join("\n");

/** The files of a project using {@linkcode CMD_PIPELINE} whose outputs are written by hand. */
export const CMD_FILES: Record<string, string> = {
  "pivot.yaml": CMD_PIPELINE,
  "raw.csv": "a,b\n1,2\n",
  "data/ml/prep.txt": "a,b\n1,2\n",
  "data/ml/train/model.txt": "model\n",
  "data/ml/train/score.json": '{"score": 1}\n',
};
