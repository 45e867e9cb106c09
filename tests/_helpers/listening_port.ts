/**
 * The port a server started as a child process listens on: the child prints
 * `{"port": N}` as its first line of stdout once it listens.
 *
 * @module
 */

/**
 * Reads `child`'s first stdout line (`{"port": N}`) and returns the port,
 * with a promise that settles once the rest of its stdout is discarded.
 *
 * @throws when the child exits before printing the line (`name` says which)
 */
export async function listeningPort(
  child: Deno.ChildProcess,
  name: string,
): Promise<{ port: number; drained: Promise<void> }> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`${name} exited before listening`);
    text += value;
  }
  reader.releaseLock();
  const drained = child.stdout.cancel().catch(() => undefined);
  const { port } = JSON.parse(text.split("\n")[0]!) as { port: number };
  return { port, drained };
}
