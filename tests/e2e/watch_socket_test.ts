/**
 * `pivot repro --watch --serve`: a JSON-RPC client drives a real watch
 * process over `.pivot/agent.sock`.
 */
import assert from "node:assert/strict";
import { makeProject, runPivot } from "../_helpers/project.ts";
import { WatchProcess } from "../_helpers/watch_process.ts";

/** A newline-delimited JSON-RPC client on a Unix socket. */
class RpcClient implements Disposable {
  readonly #conn: Deno.Conn;
  readonly #decoder = new TextDecoder();
  #buffered = "";
  #id = 0;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  static async connect(file: string): Promise<RpcClient> {
    return new RpcClient(await Deno.connect({ transport: "unix", path: file }));
  }

  /** Sends `text` as it is. */
  async send(text: string): Promise<void> {
    const data = new TextEncoder().encode(text);
    let written = 0;
    while (written < data.length) written += await this.#conn.write(data.subarray(written));
  }

  /** The next line the server sends, parsed. */
  async receive(): Promise<Record<string, unknown>> {
    const buffer = new Uint8Array(65536);
    while (!this.#buffered.includes("\n")) {
      const read = await this.#conn.read(buffer);
      if (read === null) throw new Error(`the server closed the connection: ${this.#buffered}`);
      this.#buffered += this.#decoder.decode(buffer.subarray(0, read), { stream: true });
    }
    const newline = this.#buffered.indexOf("\n");
    const line = this.#buffered.slice(0, newline);
    this.#buffered = this.#buffered.slice(newline + 1);
    return JSON.parse(line);
  }

  /** Calls `method` and returns the whole answer. */
  async call(method: string, params?: unknown): Promise<Record<string, unknown>> {
    const id = ++this.#id;
    await this.send(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    const answer = await this.receive();
    assert.equal(answer.id, id);
    return answer;
  }

  /** Calls `method` and returns its result (failing on an error answer). */
  async result(method: string, params?: unknown): Promise<unknown> {
    const answer = await this.call(method, params);
    assert.equal(answer.error, undefined, JSON.stringify(answer.error));
    return answer.result;
  }

  [Symbol.dispose](): void {
    this.#conn.close();
  }
}

/**
 * The status once the session is idle again: an iteration ends a moment
 * after its summary line (the run's own writes are waited for).
 */
async function idleStatus(client: RpcClient): Promise<unknown> {
  const deadline = Date.now() + 10_000;
  while (true) {
    const status = await client.result("status") as { state: string };
    if (status.state === "idle") return status;
    assert.ok(Date.now() < deadline, "the session went back to idle");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Leaves a socket file at `file` that nobody listens on (as a killed watcher does). */
async function staleSocket(dir: string, file: string): Promise<void> {
  const temp = `${dir}/s.sock`;
  const listener = Deno.listen({ transport: "unix", path: temp });
  await Deno.rename(temp, file);
  listener.close();
}

const PIPELINE = [
  "pipeline: ml",
  "stages:",
  "  prep:",
  "    cmd: cat ${deps.raw} > ${outs}",
  "    deps: {raw: raw.txt}",
  "    outs: txt",
  "  train:",
  "    cmd: if [ -f slow.flag ]; then echo started > started.txt; sleep 30; fi; wc -l < ${deps.data} > ${outs}",
  "    deps: {data: prep}",
  "    outs: txt",
  "",
].join("\n");

Deno.test("repro --watch --serve: run, status, stages, explain and events_since over .pivot/agent.sock", async () => {
  await using p = await makeProject({ "pivot.yaml": PIPELINE, "raw.txt": "a\n" });
  const socket = p.path(".pivot/agent.sock");
  await staleSocket(p.root, socket);
  await using watch = new WatchProcess(p.root, ["--serve", "--debounce", "50"]);
  await watch.iteration({ stdout: 0, stderr: 0 });
  const info = await Deno.lstat(socket);
  assert.equal(info.isSocket, true, "the stale socket was replaced");
  assert.equal(info.mode! & 0o777, 0o600);
  using client = await RpcClient.connect(socket);

  assert.deepEqual(await client.result("stages"), { stages: ["prep", "train"] });
  assert.deepEqual(await idleStatus(client), {
    state: "idle",
    running: [],
    pending: [],
    pipeline_error: null,
  });
  assert.deepEqual(await client.result("explain", { stage: "train" }), {
    stage: "train",
    stale: false,
    reason: "up to date",
    details: [],
    failing: false,
    outputs: [],
  });
  const before = (await client.result("events_since", { version: 0 })) as { version: number };

  const mark = watch.mark();
  assert.equal(await client.result("run", { stages: ["train"], force: true }), "accepted");
  assert.equal(
    await watch.iteration(mark),
    "requested: run train\nran prep: forced (T)\nran train: forced (T)\n2 ran, 0 up to date (T)\n",
  );
  const since = (await client.result("events_since", { version: before.version })) as {
    version: number;
    events: { version: number; event: Record<string, unknown> }[];
    truncated: boolean;
  };
  assert.equal(since.truncated, false);
  assert.deepEqual(since.events[0], {
    version: before.version + 1,
    event: {
      type: "watch_trigger",
      source: "request",
      paths: [],
      stages: ["train"],
      reload: false,
    },
  });
  assert.deepEqual(
    since.events.filter(({ event }) => event.type === "stage_complete")
      .map(({ event }) => [event.stage, event.status, event.reason]),
    [["prep", "ran", "forced"], ["train", "ran", "forced"]],
  );
  assert.equal(since.events.at(-1)!.event.type, "summary");
  assert.equal(since.version, since.events.at(-1)!.version);
  assert.deepEqual(await client.result("events_since", { version: since.version }), {
    version: since.version,
    events: [],
    truncated: false,
  });

  const unknown = await client.call("run", { stages: ["trian"] });
  assert.deepEqual(unknown.error, {
    code: -32001,
    message: "unknown target 'trian': not a stage or tracked file (did you mean 'train'?)",
  });
  assert.deepEqual(await client.result("stages"), { stages: ["prep", "train"] });
  assert.equal(watch.stdout.slice(mark.stdout).match(/^requested:/gm)?.length, 1);
  assert.equal((await watch.interrupt()).code, 130);
  assert.equal(await p.exists(".pivot/agent.sock"), false, "the socket is removed on exit");
});

Deno.test("repro --watch --serve: oversized and bad requests get JSON-RPC errors, the connection goes on", async () => {
  await using p = await makeProject({ "pivot.yaml": PIPELINE, "raw.txt": "a\n" });
  await using watch = new WatchProcess(p.root, ["--serve", "--debounce", "50"]);
  await watch.iteration({ stdout: 0, stderr: 0 });
  using client = await RpcClient.connect(p.path(".pivot/agent.sock"));
  const error = (code: number, message: string, id: unknown = null) => ({
    jsonrpc: "2.0",
    id,
    error: { code, message },
  });

  await client.send(
    `{"jsonrpc":"2.0","id":1,"method":"status","params":{"pad":"${"x".repeat(1024 * 1024)}"}}\n`,
  );
  assert.deepEqual(
    await client.receive(),
    error(-32600, "message too large: over 1048576 bytes (it is skipped up to its newline)"),
  );
  await client.send("not json\n");
  const parse = await client.receive();
  assert.deepEqual([parse.id, (parse.error as { code: number }).code], [null, -32700]);
  assert.match((parse.error as { message: string }).message, /^parse error: /);
  await client.send('{"id":2,"method":"status"}\n');
  assert.deepEqual(
    await client.receive(),
    error(-32600, "invalid request: 'jsonrpc' must be \"2.0\"", 2),
  );
  await client.send("[]\n");
  assert.deepEqual(
    await client.receive(),
    error(-32600, "invalid request: batch requests are not supported"),
  );
  assert.deepEqual((await client.call("frobnicate")).error, {
    code: -32601,
    message:
      "unknown method 'frobnicate': expected run, cancel, status, stages, explain or events_since",
  });
  assert.deepEqual(
    (await client.call("explain", {})).error,
    { code: -32602, message: "invalid params: 'stage' must be a stage name" },
  );
  assert.deepEqual(
    (await client.call("run", { stages: "train" })).error,
    { code: -32602, message: "invalid params: 'stages' must be a list of stage names" },
  );
  assert.deepEqual(
    (await client.call("events_since", { version: -1 })).error,
    { code: -32602, message: "invalid params: 'version' must be a whole number of at least 0" },
  );
  // A notification (no id) gets no answer: the next answer is the next request's.
  await client.send('{"jsonrpc":"2.0","method":"status"}\n');
  assert.deepEqual(Object.keys(await client.result("status") as object), [
    "state",
    "running",
    "pending",
    "pipeline_error",
  ]);
  assert.equal((await watch.interrupt()).code, 130);
});

Deno.test("repro --watch --serve: cancel stops the running stage and watching goes on", async () => {
  await using p = await makeProject({ "pivot.yaml": PIPELINE, "raw.txt": "a\n" });
  await using watch = new WatchProcess(p.root, ["--serve", "--debounce", "50"]);
  await watch.iteration({ stdout: 0, stderr: 0 });
  using client = await RpcClient.connect(p.path(".pivot/agent.sock"));
  await p.write("slow.flag", "");
  let mark = watch.mark();
  assert.equal(await client.result("run", { stages: ["train"], force: true }), "accepted");
  await watch.until("the stage started", () => p.exists("started.txt"));
  assert.deepEqual(await client.result("status"), {
    state: "active",
    running: ["train"],
    pending: [],
    pipeline_error: null,
  });
  assert.equal(await client.result("cancel"), "accepted");
  assert.match(
    await watch.iteration(mark),
    /^1 ran, 0 up to date, 1 failed, interrupted \(T\)\n$/m,
  );
  assert.match(watch.stderr, /^FAILED train: interrupted/m);
  await idleStatus(client);
  await Deno.remove(p.path("slow.flag"));
  mark = watch.mark();
  await p.write("raw.txt", "a\nb\n");
  assert.equal(
    await watch.iteration(mark),
    "changed: raw.txt → prep\nran prep: inputs changed (T)\nran train: inputs changed (T)\n2 ran, 0 up to date (T)\n",
  );
  assert.equal(await p.read("data/ml/train.txt"), "2\n");
  assert.equal((await watch.interrupt()).code, 130);
});

Deno.test("repro --watch --serve: a socket another watcher serves is an error", async () => {
  await using p = await makeProject({ "pivot.yaml": PIPELINE, "raw.txt": "a\n" });
  await using watch = new WatchProcess(p.root, ["--serve", "--debounce", "50"]);
  await watch.iteration({ stdout: 0, stderr: 0 });
  const second = await runPivot(p.root, ["repro", "--watch", "--serve"]);
  assert.deepEqual(second, {
    code: 1,
    stdout: "",
    stderr: "error: another pivot watcher is serving .pivot/agent.sock\n" +
      "hint: stop that 'pivot repro --watch --serve', or run this one without --serve\n",
  });
  assert.equal((await watch.interrupt()).code, 130);
});
