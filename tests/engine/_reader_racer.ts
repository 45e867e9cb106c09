/**
 * One racer of `reader_marks_test.ts`: for each round `i`, at the same
 * instant as the other racers (`start + i * step`, epoch ms), either writes
 * (claims `<dir>/r<i>.running`, then looks for readers) or reads (creates a
 * reader record for it, then looks at its sentinel), as the engine does.
 * Writes `done.<pid>` with, per round, whether it went ahead (a writer with
 * no reader seen, a reader with no writer seen), keeping what it went ahead
 * with, and stays alive until all `racers` are done.
 *
 * Usage: `deno run -A _reader_racer.ts <dir> <writer|reader> <rounds> <start> <step> <racers>`
 *
 * @module
 */
import * as path from "node:path";
import { createReaderRecord, liveReaders } from "../../src/engine/reader_marks.ts";
import {
  claimSentinel,
  releaseSentinel,
  sentinelHolder,
} from "../../src/engine/running_sentinel.ts";

const [dir = "", role, rounds, start, step, racers] = Deno.args;
const now = () => performance.timeOrigin + performance.now();
const ahead: boolean[] = [];
for (let round = 0; round < Number(rounds); round++) {
  const sentinel = path.join(dir, `r${round}.running`);
  const at = Number(start) + round * Number(step);
  if (at - now() > 5) await new Promise((resolve) => setTimeout(resolve, at - now() - 5));
  while (now() < at) { /* spin to the common instant */ }
  if (role === "writer") {
    const claimed = claimSentinel(sentinel) === null;
    const free = claimed && liveReaders(sentinel).length === 0;
    if (claimed && !free) releaseSentinel(sentinel);
    ahead.push(free);
  } else {
    const record = createReaderRecord(sentinel);
    const free = sentinelHolder(sentinel) === null;
    if (!free) Deno.removeSync(record);
    ahead.push(free);
  }
}
Deno.writeTextFileSync(path.join(dir, `done.${Deno.pid}`), JSON.stringify(ahead));
while (
  [...Deno.readDirSync(dir)].filter((e) => e.name.startsWith("done.")).length < Number(racers)
) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}
