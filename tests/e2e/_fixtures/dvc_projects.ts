/**
 * DVC projects for the `import-dvc` and `export` tests: one modelled on DVC's
 * "get started" example (prepare → featurize → train → evaluate, parameters
 * in `params.yaml` sections read by the scripts, metrics and plots, a
 * `.dvc`-tracked input), and one with `foreach`/`do`, `matrix`, `wdir` and
 * `vars`. The scripts are small Python programs that write fixed paths.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** DVC's get-started pipeline, with stage-level metrics and plots and a top-level plot. */
export const GET_STARTED_DVC_YAML = `stages:
  prepare:
    cmd: python3 src/prepare.py data/data.xml
    deps:
    - data/data.xml
    - src/prepare.py
    params:
    - prepare.seed
    - prepare.split
    outs:
    - data/prepared
  featurize:
    cmd: python3 src/featurization.py data/prepared data/features
    deps:
    - data/prepared
    - src/featurization.py
    params:
    - featurize.max_features
    - featurize.ngrams
    outs:
    - data/features
  train:
    cmd: python3 src/train.py data/features model.pkl
    deps:
    - data/features
    - src/train.py
    params:
    - train.min_split
    - train.n_est
    - train.seed
    outs:
    - model.pkl
  evaluate:
    cmd: python3 src/evaluate.py model.pkl data/features
    deps:
    - data/features
    - model.pkl
    - src/evaluate.py
    metrics:
    - eval/metrics.json:
        cache: false
    plots:
    - eval/prc.json:
        cache: false
        x: recall
        y: precision
    - eval/importance.png
plots:
- eval/prc.json:
    template: linear
`;

/** The parameters, in sections as DVC's example has them. */
export const GET_STARTED_PARAMS = `prepare:
  split: 0.20
  seed: 20170428

featurize:
  max_features: 100
  ngrams: 1

train:
  seed: 20170428
  n_est: 50
  min_split: 0.01
`;

const DATA_XML = '<posts>\n<row Id="1" Body="a"/>\n<row Id="2" Body="b"/>\n</posts>\n';

/** Reads a two-level params.yaml without PyYAML, as the scripts' own parameter reader. */
const PARAMS_PY = `def load(path="params.yaml"):
    params, section = {}, None
    for line in open(path):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, _, value = line.strip().partition(":")
        if not line.startswith(" "):
            section = params.setdefault(key, {})
        else:
            section[key] = value.strip()
    return params
`;

/** The files of the get-started project (without `.pivot/`). */
export function getStartedFiles(): Record<string, string> {
  const md5 = createHash("md5").update(DATA_XML).digest("hex");
  return {
    "dvc.yaml": GET_STARTED_DVC_YAML,
    "params.yaml": GET_STARTED_PARAMS,
    ".dvc/config": "",
    "data/data.xml": DATA_XML,
    "data/data.xml.dvc":
      `outs:\n- md5: ${md5}\n  size: ${DATA_XML.length}\n  hash: md5\n  path: data.xml\n`,
    "data/.gitignore": "/data.xml\n",
    "src/params.py": PARAMS_PY,
    "src/prepare.py": `import os, sys
from params import load
p = load()["prepare"]
os.makedirs("data/prepared", exist_ok=True)
rows = open(sys.argv[1]).read().count("<row")
open("data/prepared/train.tsv", "w").write(f"rows={rows} split={p['split']} seed={p['seed']}\\n")
`,
    "src/featurization.py": `import os, sys
from params import load
p = load()["featurize"]
os.makedirs(sys.argv[2], exist_ok=True)
data = open(os.path.join(sys.argv[1], "train.tsv")).read().strip()
open(os.path.join(sys.argv[2], "train.pkl"), "w").write(f"{data} max_features={p['max_features']} ngrams={p['ngrams']}\\n")
`,
    "src/train.py": `import os, sys
from params import load
p = load()["train"]
data = open(os.path.join(sys.argv[1], "train.pkl")).read().strip()
open(sys.argv[2], "w").write(f"{data} n_est={p['n_est']} min_split={p['min_split']} seed={p['seed']}\\n")
`,
    "src/evaluate.py": `import json, os, sys
model = open(sys.argv[1]).read().strip()
os.makedirs("eval", exist_ok=True)
json.dump({"auc": 0.5, "model": model}, open("eval/metrics.json", "w"))
json.dump([{"recall": 0.1, "precision": 0.9}], open("eval/prc.json", "w"))
open("eval/importance.png", "wb").write(b"\\x89PNG\\r\\n")
`,
  };
}

/** A pipeline with `foreach` over a list and over a map, a DVC `matrix`, `wdir` and `vars`. */
export const FOREACH_DVC_YAML = `vars:
  - config.yaml
  - suffix: cln
stages:
  clean:
    foreach: [alpha, beta]
    do:
      wdir: raw
      cmd: mkdir -p ../clean && tr a-z A-Z < \${item}.txt > ../clean/\${item}.\${suffix}
      deps:
        - \${item}.txt
      outs:
        - ../clean/\${item}.\${suffix}
  train:
    foreach:
      small: {size: 10, lr: 0.1}
      large: {size: 20, lr: 0.01}
    do:
      cmd: mkdir -p models && echo "\${key} \${item.size} \${item.lr} \${model.name}" > models/\${key}.txt
      deps:
        - clean/alpha.\${suffix}
      outs:
        - models/\${key}.txt
  report:
    matrix:
      model: [small, large]
      fmt: [txt, md]
    cmd: mkdir -p reports && cat models/\${item.model}.txt > reports/\${item.model}.\${item.fmt}
    deps:
      - models/\${item.model}.txt
    outs:
      - reports/\${item.model}.\${item.fmt}
`;

/** The files of the foreach project (without `.pivot/`). */
export function foreachFiles(): Record<string, string> {
  return {
    "dvc.yaml": FOREACH_DVC_YAML,
    "config.yaml": "model:\n  name: forest\n",
    "raw/alpha.txt": "aaa\n",
    "raw/beta.txt": "bbb\n",
  };
}
