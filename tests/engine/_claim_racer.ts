/**
 * One racer of `running_sentinel_test.ts`: claims `<dir>/r<i>.running` for
 * each round `i` at the same instant as the other racers (`start + i * step`,
 * epoch ms), writes `done.<pid>` with what each claim returned, and stays
 * alive (holding what it won) until all `racers` are done.
 *
 * Usage: `deno run -A _claim_racer.ts <dir> <rounds> <start> <step> <racers> [templates]`
 * (`templates`: each claim is a link to this racer's template, see
 * `sentinel_templates.ts`; removed once all are done).
 *
 * @module
 */
import * as path from "node:path";
import { takeSentinel } from "../../src/engine/running_sentinel.ts";
import { SentinelTemplates } from "../../src/engine/sentinel_templates.ts";

const [dir = "", rounds, start, step, racers, mode] = Deno.args;
using templates = new SentinelTemplates();
const now = () => performance.timeOrigin + performance.now();
const results: (number | null)[] = [];
for (let round = 0; round < Number(rounds); round++) {
  const at = Number(start) + round * Number(step);
  if (at - now() > 5) await new Promise((resolve) => setTimeout(resolve, at - now() - 5));
  while (now() < at) { /* spin to the common instant */ }
  const taken = takeSentinel(
    path.join(dir, `r${round}.running`),
    mode === "templates" ? templates : undefined,
  );
  results.push(typeof taken === "number" ? taken : null);
}
Deno.writeTextFileSync(path.join(dir, `done.${Deno.pid}`), JSON.stringify(results));
while (
  [...Deno.readDirSync(dir)].filter((e) => e.name.startsWith("done.")).length < Number(racers)
) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}
