/** Collects a repeatable option's values (`-t a -t b`). */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `new` / `old` labels of a comparison as one phrase: `HEAD and workspace`. */
export function comparedLabels(diff: { old: { rev: string }; new: { rev: string } }): string {
  return `${diff.old.rev} and ${diff.new.rev}`;
}
