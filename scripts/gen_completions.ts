/**
 * Regenerates the checked-in completion scripts under `completions/` from the
 * command tree (`deno task completions`); `--check` only reports staleness.
 *
 * @module
 */
import * as path from "node:path";

/** Each shell's script file. */
export const COMPLETION_FILES = {
  fish: "pivot.fish",
  zsh: "_pivot",
  bash: "pivot.bash",
} as const;

const ROOT = path.resolve(import.meta.dirname!, "..");

/** The script pivot prints for `shell`. */
export async function generateCompletion(shell: keyof typeof COMPLETION_FILES): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", path.join(ROOT, "main.ts"), "completions", shell],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`pivot completions ${shell} failed`);
  return new TextDecoder().decode(output.stdout);
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  let stale = 0;
  for (const [shell, file] of Object.entries(COMPLETION_FILES)) {
    const target = path.join(ROOT, "completions", file);
    const script = await generateCompletion(shell as keyof typeof COMPLETION_FILES);
    const current = await Deno.readTextFile(target).catch(() => null);
    if (current === script) continue;
    stale++;
    if (check) {
      Deno.stderr.writeSync(new TextEncoder().encode(`completions/${file} is stale\n`));
    } else {
      await Deno.writeTextFile(target, script);
      Deno.stdout.writeSync(new TextEncoder().encode(`wrote completions/${file}\n`));
    }
  }
  if (check && stale > 0) Deno.exit(1);
}
