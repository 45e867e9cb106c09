/**
 * The control socket of a watch session (`repro --watch --serve`): a Unix
 * socket at `.pivot/agent.sock`, readable and writable by its owner only,
 * carrying newline-delimited JSON-RPC 2.0 (see `agent_rpc.ts`). A message
 * over 1 MB is refused with an error and skipped up to its newline. A socket
 * file left by a killed watcher (nobody answers) is replaced; one that
 * answers belongs to another watcher, which is an error.
 *
 * @module
 */
import * as path from "node:path";
import { PivotError } from "../util/errors.ts";
import { lstatOrNullSync } from "../util/fs.ts";
import { type AgentMethods, answerRpc, RPC_ERROR } from "./agent_rpc.ts";

/** The socket's place, relative to the project root. */
export const AGENT_SOCKET = ".pivot/agent.sock";

/** The largest message accepted, in bytes (without its newline). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** The longest path a Unix socket may have on Linux (`sun_path` is 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;

/** A listening control socket; dispose of it to stop serving and remove the socket file. */
export class AgentSocket implements AsyncDisposable {
  /** Absolute path of the socket. */
  readonly path: string;
  readonly #listener: Deno.Listener;
  readonly #methods: AgentMethods;
  readonly #inode: number | null;
  readonly #connections = new Set<Deno.Conn>();
  readonly #served = new Set<Promise<void>>();
  readonly #accepting: Promise<void>;
  #closed = false;

  /** Serves `methods` on `listener`, bound at `file`; use {@linkcode AgentSocket.listen}. */
  constructor(file: string, listener: Deno.Listener, methods: AgentMethods) {
    this.path = file;
    this.#listener = listener;
    this.#methods = methods;
    this.#inode = lstatOrNullSync(file)?.ino ?? null;
    this.#accepting = this.#accept();
  }

  /**
   * Serves `methods` on `<root>/.pivot/agent.sock` (mode 0600: the socket
   * is made in a private directory, then renamed into place).
   *
   * @throws {PivotError} when another watcher serves there, the path is not
   *   a socket, or it is too long for a Unix socket
   */
  static async listen(root: string, methods: AgentMethods): Promise<AgentSocket> {
    const file = path.join(root, AGENT_SOCKET);
    if (new TextEncoder().encode(file).length > MAX_SOCKET_PATH) {
      throw new PivotError(
        `cannot serve on ${file}: the path is longer than a Unix socket's ${MAX_SOCKET_PATH} bytes`,
        { hint: "move the project to a shorter path, or run without --serve" },
      );
    }
    await removeStale(file);
    const privateDir = await Deno.makeTempDir({ dir: path.dirname(file), prefix: ".a" });
    let listener: Deno.Listener;
    try {
      const temp = path.join(privateDir, "s");
      listener = Deno.listen({ transport: "unix", path: temp });
      await Deno.chmod(temp, 0o600);
      await Deno.rename(temp, file);
    } finally {
      await Deno.remove(privateDir, { recursive: true });
    }
    return new AgentSocket(file, listener, methods);
  }

  /** Stops serving: connections are closed and the socket file removed. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.close();
    for (const conn of this.#connections) closeQuietly(conn);
    await this.#accepting;
    await Promise.all(this.#served);
    // Only our own socket: another watcher may have replaced it since.
    const info = lstatOrNullSync(this.path);
    if (info?.isSocket && info.ino === this.#inode) await Deno.remove(this.path);
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        this.#connections.add(conn);
        const served = this.#serve(conn).finally(() => {
          this.#connections.delete(conn);
          this.#served.delete(served);
          closeQuietly(conn);
        });
        this.#served.add(served);
      }
    } catch (error) {
      if (!this.#closed) throw error;
    }
  }

  /** Answers the requests of one connection, line by line, until it ends. */
  async #serve(conn: Deno.Conn): Promise<void> {
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(64 * 1024);
    let parts: Uint8Array[] = [];
    let size = 0;
    let skipping = false;
    try {
      while (true) {
        const read = await conn.read(buffer);
        if (read === null) return;
        let chunk = buffer.subarray(0, read);
        while (chunk.length > 0) {
          const newline = chunk.indexOf(10);
          const piece = newline === -1 ? chunk : chunk.subarray(0, newline);
          if (!skipping && size + piece.length > MAX_MESSAGE_BYTES) {
            skipping = true;
            parts = [];
            size = 0;
            await writeAll(conn, tooLarge());
          } else if (!skipping) {
            parts.push(piece.slice());
            size += piece.length;
          }
          if (newline === -1) break;
          chunk = chunk.subarray(newline + 1);
          if (skipping) {
            skipping = false;
            continue;
          }
          const line = decoder.decode(concat(parts, size));
          parts = [];
          size = 0;
          if (line.trim() === "") continue;
          const answer = await answerRpc(line, this.#methods);
          if (answer !== null) await writeAll(conn, `${answer}\n`);
        }
      }
    } catch (error) {
      // The client went away, or the socket is closing: this connection ends.
      if (
        !(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted ||
          error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe)
      ) {
        throw error;
      }
    }
  }
}

/**
 * Removes a socket file nobody answers on (left by a killed watcher).
 *
 * @throws {PivotError} when it is not a socket, or another watcher answers
 */
async function removeStale(file: string): Promise<void> {
  const info = lstatOrNullSync(file);
  if (info === null) return;
  if (!info.isSocket) {
    throw new PivotError(`cannot serve on ${AGENT_SOCKET}: it exists and is not a socket`, {
      hint: `remove ${AGENT_SOCKET}, or run without --serve`,
    });
  }
  let conn: Deno.Conn;
  try {
    conn = await Deno.connect({ transport: "unix", path: file });
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    await Deno.remove(file); // Nobody listens: a killed watcher's socket.
    return;
  }
  closeQuietly(conn);
  throw new PivotError(`another pivot watcher is serving ${AGENT_SOCKET}`, {
    hint: "stop that 'pivot repro --watch --serve', or run this one without --serve",
  });
}

function tooLarge(): string {
  const error = {
    code: RPC_ERROR.invalidRequest,
    message: `message too large: over ${MAX_MESSAGE_BYTES} bytes (it is skipped up to its newline)`,
  };
  return `${JSON.stringify({ jsonrpc: "2.0", id: null, error })}\n`;
}

async function writeAll(conn: Deno.Conn, text: string): Promise<void> {
  const data = new TextEncoder().encode(text);
  let written = 0;
  while (written < data.length) written += await conn.write(data.subarray(written));
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const joined = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return joined;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}
