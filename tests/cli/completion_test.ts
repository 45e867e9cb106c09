import assert from "node:assert/strict";
import * as path from "node:path";
import { bashCompletionScript } from "../../src/cli/bash_completion.ts";
import { shellQuote } from "../../src/util/shell_quote.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { MAIN, makeProject, runPivot } from "../_helpers/project.ts";

const BASH_SCRIPT = path.resolve(import.meta.dirname!, "../../completions/pivot.bash");
const BASH_COMPLETION = "/usr/share/bash-completion/bash_completion";

Deno.test("pivot completions offers fish, zsh and bash only", async () => {
  await using p = await makeProject();
  const help = await runPivotInProcess(p.root, ["completions", "--help"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^ {2}shell +the shell \(choices: "fish", "zsh", "bash"\)$/m);
  assert.doesNotMatch(help.stdout, /powershell/);
  assert.deepEqual(await runPivotInProcess(p.root, ["completions", "powershell"]), {
    code: 2,
    stdout: "",
    stderr:
      "error: command-argument value 'powershell' is invalid for argument 'shell'. Allowed choices are fish, zsh, bash.\n" +
      "hint: run 'pivot --help' or 'pivot <command> --help' for usage\n",
  });
  const bash = await runPivotInProcess(p.root, ["completions", "bash"]);
  assert.deepEqual(bash, { code: 0, stdout: bashCompletionScript("pivot"), stderr: "" });
  // The library prints the candidates itself (console.log), so this one needs a process.
  const shells = await runPivot(p.root, ["complete", "--", "completions", ""]);
  assert.equal(shells.stdout, "fish\t\nzsh\t\nbash\t\n:4\n");
});

/** A completion request as bash makes it: the line up to the cursor and its words. */
interface BashCase {
  readonly line: string;
  /** COMP_WORDS as bash splits the line, with bash-completion loaded and without it. */
  readonly words: { readonly loaded: readonly string[]; readonly plain: readonly string[] };
  /** COMPREPLY, with bash-completion loaded and without it. */
  readonly reply: { readonly loaded: readonly string[]; readonly plain: readonly string[] };
}

/** Both ways, when they are the same. */
function same<T>(value: T): { loaded: T; plain: T } {
  return { loaded: value, plain: value };
}

// COMP_WORDS as bash 5.2 splits these lines, seen from an interactive bash (its
// COMP_WORDBREAKS holds '@', ':' and '='; bash-completion takes '@' out).
const BASH_CASES: readonly BashCase[] = [
  {
    line: "pivot repro train@small:mo",
    words: {
      loaded: ["pivot", "repro", "train@small", ":", "mo"],
      plain: ["pivot", "repro", "train", "@", "small", ":", "mo"],
    },
    // bash replaces only the text after the ':', so the reply is what goes there.
    reply: same(["model"]),
  },
  {
    line: "pivot checkout train@small:",
    words: {
      loaded: ["pivot", "checkout", "train@small", ":"],
      plain: ["pivot", "checkout", "train", "@", "small", ":"],
    },
    reply: same(["model"]),
  },
  {
    line: "pivot repro train@sm",
    words: {
      loaded: ["pivot", "repro", "train@sm"],
      plain: ["pivot", "repro", "train", "@", "sm"],
    },
    reply: {
      loaded: ["train@small", "train@small:model"],
      plain: ["small", "small:model"],
    },
  },
  {
    line: "pivot dag train@small:model pre",
    words: {
      loaded: ["pivot", "dag", "train@small", ":", "model", "pre"],
      plain: ["pivot", "dag", "train", "@", "small", ":", "model", "pre"],
    },
    reply: same(["prepare"]),
  },
  {
    line: "pivot checkout my",
    words: same(["pivot", "checkout", "my"]),
    reply: same(["my\\ data.csv"]),
  },
  {
    line: "pivot checkout my\\ d",
    words: same(["pivot", "checkout", "my\\ d"]),
    reply: same(["my\\ data.csv"]),
  },
  {
    line: "pivot checkout 'my d",
    words: same(["pivot", "checkout", "'my d"]),
    reply: same(["my data.csv"]),
  },
  {
    line: "pivot checkout --checkout-mode=h",
    words: same(["pivot", "checkout", "--checkout-mode", "=", "h"]),
    reply: same(["hardlink"]),
  },
  {
    line: "pivot completions ",
    words: same(["pivot", "completions", ""]),
    reply: same(["fish", "zsh", "bash"]),
  },
];

/**
 * Runs the completion function of `completions/pivot.bash`, sourced twice, in
 * a real bash for each case, and returns the replies (and anything on stderr).
 */
async function bashReplies(
  cwd: string,
  mode: "loaded" | "plain",
): Promise<{ replies: string[][]; stderr: string }> {
  const lines = [
    mode === "loaded" ? `source ${BASH_COMPLETION}` : "",
    `pivot() { ${shellQuote(Deno.execPath())} run -A --quiet ${shellQuote(MAIN)} "$@"; }`,
    `source ${shellQuote(BASH_SCRIPT)} || echo "first source failed" >&2`,
    `source ${shellQuote(BASH_SCRIPT)} || echo "second source failed" >&2`,
    "fn=$(complete -p pivot | sed -E 's/.* -F ([^ ]+) .*/\\1/')",
  ];
  for (const { line, words } of BASH_CASES) {
    const split = words[mode];
    lines.push(
      `COMP_LINE=${shellQuote(line)}; COMP_POINT=\${#COMP_LINE}`,
      `COMP_WORDS=(${split.map(shellQuote).join(" ")})`,
      `COMP_CWORD=${split.length - 1}; COMPREPLY=()`,
      `"$fn" pivot ${shellQuote(split.at(-1)!)} ${shellQuote(split.at(-2)!)}`,
      `printf '%s\\t' "\${COMPREPLY[@]}"; echo`,
    );
  }
  const output = await new Deno.Command("bash", {
    args: ["-c", lines.join("\n")],
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  const replies = decoder.decode(output.stdout).split("\n").slice(0, -1)
    .map((line) => line.split("\t").slice(0, -1));
  return { replies, stderr: decoder.decode(output.stderr) };
}

/** True when `path` exists. */
function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** True when bash can be started. */
function hasBash(): boolean {
  try {
    return new Deno.Command("bash", { args: ["-c", "true"] }).outputSync().success;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

for (const mode of ["loaded", "plain"] as const) {
  Deno.test({
    name: `completions/pivot.bash completes identities and paths in bash (${
      mode === "loaded" ? "with bash-completion" : "without bash-completion"
    })`,
    // bash-completion: `apt-get install bash-completion`.
    ignore: !hasBash() || (mode === "loaded" && !exists(BASH_COMPLETION)),
    fn: async () => {
      await using p = await makeProject({
        "pivot.yaml": [
          "pipeline: ml",
          "stages:",
          "  prepare:",
          "    cmd: echo rows > ${outs}",
          "    outs: txt",
          "  train:",
          "    cmd: echo ${size} > ${outs.model}",
          "    deps: {data: prepare}",
          "    outs: {model: txt}",
          "    matrix: {size: [small, large]}",
          "",
        ].join("\n"),
        "my data.csv": "a,b\n",
      });
      assert.equal((await runPivotInProcess(p.root, ["track", "my data.csv"])).code, 0);
      const { replies, stderr } = await bashReplies(p.root, mode);
      assert.deepEqual(
        replies,
        BASH_CASES.map((c) => c.reply[mode]),
        BASH_CASES.map((c) => c.line).join(" | "),
      );
      // Nothing from sourcing it a second time either.
      assert.equal(stderr, "");
    },
  });
}
