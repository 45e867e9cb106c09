/**
 * A TCP proxy on 127.0.0.1 that models a network link's latency for the
 * transfer benchmark: every piece of data, in each direction, is delivered
 * to the other side a fixed one-way delay after it arrived (in order, with
 * no limit on bandwidth), so each request/response exchange costs one round
 * trip of twice that delay. New connections are not delayed (the clients
 * benchmarked keep theirs alive).
 *
 * `deno run -A bench/_latency_proxy.ts TARGET_PORT ONE_WAY_MS`: forwards to
 * 127.0.0.1:TARGET_PORT, prints `{"port": N}` once listening and stops on
 * SIGTERM. {@linkcode startLatencyProxy} runs it as its own process, so that
 * its work is not timed as part of the benchmark's process.
 *
 * @module
 */

import { benchEnv } from "./_measure.ts";
import { listeningPort } from "../tests/_helpers/listening_port.ts";

/** A running latency proxy. */
export interface LatencyProxy extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
}

/** Starts this script as a process in front of 127.0.0.1:`port`, `oneWayMs` each way. */
export async function startLatencyProxy(port: number, oneWayMs: number): Promise<LatencyProxy> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", import.meta.filename!, String(port), String(oneWayMs)],
    env: benchEnv(),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const { port: proxyPort, drained } = await listeningPort(child, "the latency proxy");
  return {
    endpoint: `http://127.0.0.1:${proxyPort}`,
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
      await drained;
    },
  };
}

if (import.meta.main) {
  const [targetPort, oneWay] = Deno.args;
  if (targetPort === undefined || oneWay === undefined) {
    throw new Error("usage: _latency_proxy.ts TARGET_PORT ONE_WAY_MS");
  }
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  Deno.stdout.writeSync(
    new TextEncoder().encode(`${JSON.stringify({ port: listener.addr.port })}\n`),
  );
  Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
  for await (const client of listener) {
    serve(client, Number(targetPort), Number(oneWay)).catch(() => undefined);
  }
}

/** Joins `client` to a new connection to the target, both directions delayed. */
async function serve(client: Deno.TcpConn, targetPort: number, delayMs: number): Promise<void> {
  let server: Deno.TcpConn;
  try {
    server = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
  } catch {
    client.close();
    return;
  }
  client.setNoDelay(true);
  server.setNoDelay(true);
  await Promise.allSettled([
    delayed(client, server, delayMs),
    delayed(server, client, delayMs),
  ]);
  for (const conn of [client, server]) {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

/**
 * Copies `from` to `to`, each chunk written `delayMs` after it was read; a
 * reader that runs ahead keeps reading, so the delay adds latency but no
 * wait per chunk. Ends by closing the write side of `to`.
 */
async function delayed(from: Deno.TcpConn, to: Deno.TcpConn, delayMs: number): Promise<void> {
  const queue: { due: number; data: Uint8Array | null }[] = [];
  let wake: (() => void) | null = null;
  const push = (data: Uint8Array | null) => {
    queue.push({ due: performance.now() + delayMs, data });
    wake?.();
    wake = null;
  };
  const reading = (async () => {
    try {
      for await (const chunk of from.readable) push(chunk);
    } catch {
      // The connection was reset: end this direction.
    }
    push(null);
  })();
  try {
    const writer = to.writable.getWriter();
    while (true) {
      if (queue.length === 0) await new Promise<void>((resolve) => wake = resolve);
      const { due, data } = queue.shift()!;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (data === null) {
        await to.closeWrite().catch(() => undefined);
        break;
      }
      await writer.write(data);
    }
  } catch {
    // The other side went away: stop reading too.
    try {
      from.close();
    } catch {
      // Already closed.
    }
  } finally {
    await reading;
  }
}
