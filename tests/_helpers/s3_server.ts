/**
 * A real S3-compatible server for tests: s3rver (npm) in its own process on
 * 127.0.0.1 and a free port, started by the test and stopped on dispose;
 * plus a small HTTP proxy in front of it that logs requests and can answer
 * errors or slow transfers down, and helpers to see and tamper with what the
 * server stores.
 *
 * @module
 */
import * as path from "node:path";
import { type TempDir, tempDir } from "./files.ts";
import { listeningPort } from "./listening_port.ts";

/** The access key s3rver accepts; any secret key goes (signatures are not checked). */
export const S3_ACCESS_KEY = "S3RVER";

/** A running s3rver. */
export interface S3Server extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly port: number;
  /** The bucket it was started with. */
  readonly bucket: string;
  /** Keys stored in `bucket` (as listed by the server's own storage), sorted. */
  keys(): string[];
  /** The stored size of `key`. */
  size(key: string): Promise<number>;
  /** Replaces the stored content of `key` (as another client could). */
  overwrite(key: string, data: Uint8Array): Promise<void>;
  /** Deletes `key` from the server's storage (as another client could). */
  remove(key: string): Promise<void>;
}

const MAIN = path.join(import.meta.dirname!, "_s3rver_main.ts");
const ROOT = path.resolve(import.meta.dirname!, "../..");

/** Starts s3rver with one bucket (default `pivot`). */
export async function startS3Server(bucket = "pivot"): Promise<S3Server> {
  const storage: TempDir = await tempDir("pivot_s3_");
  const child = spawnS3rver(storage.path, bucket);
  const { port, drained } = await listeningPort(child, "s3rver");
  return {
    ...bucketView(port, path.join(storage.path, bucket), bucket),
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
      await drained;
      await storage[Symbol.asyncDispose]();
    },
  };
}

/**
 * One s3rver for all the tests of a file, which run one after another; a
 * test file calls it at its top level, outside any test:
 * `const freshS3Server = await sharedS3Server();`, and each test takes
 * `await using server = await freshS3Server();` — the server with its bucket
 * (default `pivot`) empty, as a newly started one has it, and emptied again
 * on dispose. It saves a server process start per test. The server stops
 * when the file's module unloads.
 */
export async function sharedS3Server(bucket = "pivot"): Promise<() => Promise<S3Server>> {
  const storage = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "pivot_s3_" }));
  const child = spawnS3rver(storage, bucket);
  globalThis.addEventListener("unload", () => {
    child.kill("SIGTERM");
    Deno.removeSync(storage, { recursive: true });
  });
  const { port } = await listeningPort(child, "s3rver");
  const bucketDir = path.join(storage, bucket);
  const empty = async () => {
    await Deno.remove(bucketDir, { recursive: true });
    await Deno.mkdir(bucketDir);
  };
  return async () => {
    await empty();
    return { ...bucketView(port, bucketDir, bucket), [Symbol.asyncDispose]: empty };
  };
}

/** Starts `_s3rver_main.ts` on `storage` with `bucket`. */
function spawnS3rver(storage: string, bucket: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, storage, bucket],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

/** An {@linkcode S3Server} but its disposal: the server on `port`, its `bucket` stored in `bucketDir`. */
function bucketView(
  port: number,
  bucketDir: string,
  bucket: string,
): Omit<S3Server, typeof Symbol.asyncDispose> {
  const objectFile = (key: string) => path.join(bucketDir, `${key}._S3rver_object`);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    bucket,
    keys: () => listObjects(bucketDir),
    size: async (key) => (await Deno.stat(objectFile(key))).size,
    overwrite: async (key, data) => {
      const file = objectFile(key);
      await Deno.chmod(file, 0o644).catch(() => undefined);
      await Deno.writeFile(file, data);
      // s3rver serves the size and checksum it recorded; keep them consistent with the new content.
      const metadataFile = path.join(bucketDir, `${key}._S3rver_metadata.json`);
      const metadata = JSON.parse(await Deno.readTextFile(metadataFile));
      metadata["content-length"] = String(data.length);
      await Deno.writeTextFile(metadataFile, JSON.stringify(metadata));
    },
    remove: async (key) => {
      await Deno.remove(objectFile(key));
      await Deno.remove(path.join(bucketDir, `${key}._S3rver_metadata.json`));
    },
  };
}

function listObjects(dir: string): string[] {
  const keys: string[] = [];
  const walk = (abs: string, rel: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(abs)];
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    for (const entry of entries) {
      const childRel = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory) walk(path.join(abs, entry.name), childRel);
      else if (entry.name.endsWith("._S3rver_object")) {
        keys.push(childRel.slice(0, -"._S3rver_object".length));
      }
    }
  };
  walk(dir, "");
  return keys.sort();
}

/** One request seen by a {@linkcode FaultProxy}. */
export interface ProxiedRequest {
  readonly method: string;
  /** Path and query. */
  readonly url: string;
  /** The status answered. */
  readonly status: number;
  /** `performance.now()` when it arrived. */
  readonly at: number;
}

/** A proxy in front of an S3 server. */
export interface FaultProxy extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Every request so far. */
  readonly requests: ProxiedRequest[];
  /** Bytes of request bodies forwarded so far (also of requests still streaming). */
  readonly uploadedBytes: () => number;
}

/** What a {@linkcode FaultProxy} does. */
export interface FaultProxyOptions {
  /**
   * The status to answer request number `n` (0-based) with instead of
   * forwarding it, or `null` to forward it. @default {always forward}
   */
  readonly fail?: (n: number, request: Request) => number | null;
  /** Delay (ms) before each 16 KiB of a forwarded request or response body. @default {0} */
  readonly chunkDelayMs?: number;
}

/**
 * Starts a proxy on 127.0.0.1 that forwards to `target` (an S3 server's
 * endpoint), or to nothing (every request answered by `fail`).
 */
export function startFaultProxy(
  target: string | null,
  options: FaultProxyOptions = {},
): FaultProxy {
  const { fail = () => null, chunkDelayMs = 0 } = options;
  const requests: ProxiedRequest[] = [];
  let uploaded = 0;
  /**
   * `body`, slowed down; it fails (so the forwarded request aborts) if it ends short of `length`.
   * The bytes of an `upload` (a request body) are counted.
   */
  const slow = (body: ReadableStream<Uint8Array>, length: string | null, upload: boolean) => {
    let seen = 0;
    return body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        async transform(chunk, controller) {
          seen += chunk.length;
          for (let i = 0; i < chunk.length; i += 16 * 1024) {
            if (chunkDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, chunkDelayMs));
            const piece = chunk.subarray(i, i + 16 * 1024);
            if (upload) uploaded += piece.length;
            controller.enqueue(piece);
          }
        },
        flush() {
          if (length !== null && seen < Number(length)) {
            throw new Error(`the client went away after ${seen} of ${length} bytes`);
          }
        },
      }),
    );
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const n = requests.length;
    const at = performance.now();
    const status = fail(n, req) ?? (target === null ? 500 : null);
    if (status !== null) {
      await req.body?.cancel();
      requests.push({ method: req.method, url: url.pathname + url.search, status, at });
      return new Response(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${
          status === 503 ? "SlowDown" : "InternalError"
        }</Code><Message>injected</Message></Error>`,
        { status, headers: { "content-type": "application/xml" } },
      );
    }
    let forwarded: Response;
    try {
      forwarded = await fetch(`${target}${url.pathname}${url.search}`, {
        method: req.method,
        headers: req.headers,
        body: req.body === null ? null : slow(req.body, req.headers.get("content-length"), true),
        redirect: "manual",
        // @ts-ignore: Deno's fetch takes duplex for streamed request bodies
        duplex: "half",
      });
    } catch {
      // The client went away mid-request: the forwarded request was aborted.
      requests.push({ method: req.method, url: url.pathname + url.search, status: 499, at });
      return new Response(null, { status: 502 });
    }
    requests.push({
      method: req.method,
      url: url.pathname + url.search,
      status: forwarded.status,
      at,
    });
    const body = forwarded.body === null ? null : slow(forwarded.body, null, false);
    return new Response(body, { status: forwarded.status, headers: forwarded.headers });
  });
  return {
    endpoint: `http://127.0.0.1:${server.addr.port}`,
    requests,
    uploadedBytes: () => uploaded,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (connections are refused). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
