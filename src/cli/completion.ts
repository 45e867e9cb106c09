import type { Command } from "@commander-js/extra-typings";
import type { Command as PlainCommand } from "commander";
import tab from "@bomb.sh/tab/commander";
import type { Candidate } from "../ops/target_candidates.ts";
import { bashCompletionScript } from "./bash_completion.ts";

/** Positional arguments completed with stage names and identities. */
const TARGET_ARGUMENTS: ReadonlySet<string> = new Set(["target", "targets", "stages"]);

/** The shells `pivot completions` writes a script for. */
export const COMPLETION_SHELLS = ["fish", "zsh", "bash"] as const;

/** Options for {@linkcode addCompletions}. */
export interface AddCompletionsOptions {
  /** What target arguments complete to. @default [] */
  candidates?: readonly Candidate[];
  /** Writes a script (the bash one; the library prints fish and zsh itself). */
  stdout: (text: string) => void;
}

/**
 * Adds `completions fish|zsh|bash` (prints a script) and the hidden
 * `complete --` callback the scripts use, completing target arguments from
 * `candidates`.
 */
export function addCompletions(program: Command, options: AddCompletionsOptions): void {
  const { candidates = [], stdout } = options;
  const root = tab(program as unknown as PlainCommand, { completionCommandName: "completions" });
  const name = program.name();
  const command = program.commands.find((command) => command.name() === "completions")!;
  command.description("print a shell completion script (fish, zsh or bash)");
  // The library also offers powershell, which pivot neither tests nor documents.
  const argument = command.registeredArguments[0]!;
  argument.description = "the shell";
  argument.choices(COMPLETION_SHELLS);
  command.action((...args: unknown[]) => {
    const shell = String(args[0]);
    if (shell === "bash") stdout(bashCompletionScript(name));
    else root.setup(name, name, shell);
  });
  const completed = root.commands.get("completions")?.arguments.get("shell");
  if (completed !== undefined) {
    completed.handler = (complete) => {
      for (const shell of COMPLETION_SHELLS) complete(shell, "");
    };
  }
  for (const command of root.commands.values()) {
    for (const argument of command.arguments.values()) {
      if (!TARGET_ARGUMENTS.has(argument.name)) continue;
      argument.handler = (complete) => {
        for (const candidate of candidates) complete(candidate.value, candidate.description);
      };
    }
  }
}
