/**
 * One racer of `running_sentinel_test.ts`: claims `<dir>/r<i>.running` for
 * each round `i` at the same instant as the other racers (`start + i * step`,
 * epoch ms), writes `done.<pid>` with what each claim returned, and stays
 * alive (holding what it won) until all `racers` are done.
 *
 * Usage: `deno run -A _claim_racer.ts <dir> <rounds> <start> <step> <racers>`
 *
 * @module
 */
import * as path from "node:path";
import { claimSentinel } from "../../src/engine/running_sentinel.ts";

const [dir = "", rounds, start, step, racers] = Deno.args;
const now = () => performance.timeOrigin + performance.now();
const results: (number | null)[] = [];
for (let round = 0; round < Number(rounds); round++) {
  const at = Number(start) + round * Number(step);
  if (at - now() > 5) await new Promise((resolve) => setTimeout(resolve, at - now() - 5));
  while (now() < at) { /* spin to the common instant */ }
  results.push(claimSentinel(path.join(dir, `r${round}.running`)));
}
Deno.writeTextFileSync(path.join(dir, `done.${Deno.pid}`), JSON.stringify(results));
while (
  [...Deno.readDirSync(dir)].filter((e) => e.name.startsWith("done.")).length < Number(racers)
) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}
