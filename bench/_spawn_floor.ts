/**
 * The floor for running `cmd` stages from Deno: reads the waves of shell
 * commands from the JSON file named by the first argument (see `waves` in
 * `shapes.ts`) and runs them in order, each wave two commands at a time,
 * every command as `sh -c` through `Deno.Command` with its output collected,
 * as a runner that keeps logs must. Nothing else: no hashing, no records.
 *
 * @module
 */
const waves: string[][] = JSON.parse(Deno.readTextFileSync(Deno.args[0]!));
Deno.mkdirSync("data/bench", { recursive: true });
for (const wave of waves) {
  let next = 0;
  const lane = async () => {
    while (next < wave.length) {
      const command = wave[next++]!;
      const result = await new Deno.Command("sh", {
        args: ["-c", command],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (!result.success) throw new Error(`'${command}' exited ${result.code}`);
    }
  };
  await Promise.all([lane(), lane()]);
}
