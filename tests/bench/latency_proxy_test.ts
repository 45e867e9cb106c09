import assert from "node:assert/strict";
import { startLatencyProxy } from "../../bench/_latency_proxy.ts";
import { pseudoRandomBytes } from "../_helpers/files.ts";

Deno.test("the latency proxy forwards requests and responses intact, each exchange a round trip later", async () => {
  const echo = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => new Response(await request.arrayBuffer()),
  );
  const oneWayMs = 40;
  try {
    await using proxy = await startLatencyProxy(echo.addr.port, oneWayMs);
    const body = new Uint8Array(pseudoRandomBytes(300_000));
    const client = Deno.createHttpClient({});
    try {
      // The first exchange opens the connection; the next ones reuse it.
      for (let trial = 0; trial < 4; trial++) {
        const start = performance.now();
        const response = await fetch(proxy.endpoint, { method: "POST", body, client });
        const echoed = new Uint8Array(await response.arrayBuffer());
        const elapsed = performance.now() - start;
        assert.equal(echoed.length, body.length);
        assert.deepEqual(echoed, body);
        // Timers may fire a millisecond early; a loaded machine only makes it later.
        assert.ok(elapsed >= 2 * oneWayMs - 2, `exchange ${trial} took ${elapsed} ms`);
      }
    } finally {
      client.close();
    }
  } finally {
    await echo.shutdown();
  }
});
