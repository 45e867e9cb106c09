/**
 * DVC commands and flags a DVC user types by habit, and what pivot calls
 * them: the hint of the usage error commander raised for one.
 *
 * @module
 */

/** A DVC habit: where it is typed (the pivot command, or `null` for a command name) and its hint. */
interface DvcHabit {
  /** The pivot command the unknown token was given to; `null`: the token is a command itself. */
  readonly command: string | null;
  /** The unknown command or option, as typed. */
  readonly tokens: readonly string[];
  /** The word after an unknown command (`add` of `stage add`), when the hint depends on it. */
  readonly then?: string;
  /** What pivot calls it. */
  readonly hint: string;
}

const HABITS: readonly DvcHabit[] = [
  {
    command: null,
    tokens: ["add"],
    hint: "pivot tracks data with 'pivot track PATH' (DVC's 'dvc add'), writing PATH.pvt",
  },
  {
    command: null,
    tokens: ["stage"],
    then: "add",
    hint:
      "a stage is declared in pivot.yaml or pipeline.ts (DVC's 'dvc stage add' writes dvc.yaml)",
  },
  {
    command: null,
    tokens: ["stage"],
    hint: "'pivot list' lists the stages (DVC's 'dvc stage list')",
  },
  {
    command: "repro",
    tokens: ["-s", "--single-item"],
    hint: "'pivot run STAGE' runs stages without their upstream (DVC's 'dvc repro -s')",
  },
  {
    command: "status",
    tokens: ["-c", "--cloud"],
    hint: "'pivot status -r [NAME]' compares the cache with a remote (DVC's 'dvc status -c')",
  },
  {
    command: "remote",
    tokens: ["status"],
    hint: "'pivot status -r [NAME]' compares the cache with a remote",
  },
];

/**
 * The hint for commander's `error` (`error: unknown command 'add'`, `error:
 * unknown option '-s'`) when `args` show a DVC habit, else `null`.
 */
export function dvcHabitHint(args: readonly string[], error: string): string | null {
  const token = /unknown (?:command|option) '([^']+)'/.exec(error)?.[1];
  if (token === undefined) return null;
  const words = args.filter((arg) => !arg.startsWith("-"));
  for (const habit of HABITS) {
    if (!habit.tokens.includes(token)) continue;
    if (habit.then !== undefined && words[1] !== habit.then) continue;
    if (habit.command === null ? words[0] === token : words[0] === habit.command) return habit.hint;
  }
  return null;
}
