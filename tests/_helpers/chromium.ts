/**
 * Loading a page in headless Chromium (Debian's `chromium`) through the
 * Chrome DevTools Protocol over its websocket: console messages and
 * exceptions are collected, the page's own readiness flag awaited, and a
 * full-page screenshot taken. No browser download: the test skips when
 * Chromium is not installed.
 *
 * @module
 */
import * as path from "node:path";
import { pathToFileURL } from "node:url";

/** The Chromium executable, or `null` when none is installed. */
export function findChromium(): string | null {
  for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
    for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
      const file = path.join(dir, name);
      try {
        if (Deno.statSync(file).isFile) return file;
      } catch { /* not here */ }
    }
  }
  return null;
}

/** Where tests leave screenshots: `$PIVOT_TEST_ARTIFACTS`, else `tests/artifacts/`. */
export function artifactDir(): string {
  return Deno.env.get("PIVOT_TEST_ARTIFACTS") ??
    path.resolve(import.meta.dirname!, "..", "artifacts");
}

/** What loading a page showed. */
export interface PageVisit {
  /** Console errors and warnings, log entries of level error, uncaught exceptions. */
  readonly problems: string[];
  /** The result of `probe`, evaluated once `ready` held. */
  readonly probe: unknown;
  /** A PNG of the whole page. */
  readonly screenshot: Uint8Array;
}

/** Options for {@linkcode visitPage}. */
export interface VisitOptions {
  /** A JavaScript expression that is true once the page has finished its work. */
  ready: string;
  /** A JavaScript expression whose (JSON-serialisable) value is returned. */
  probe: string;
  /** Give up after this long. @default {60000} */
  timeoutMs?: number;
}

/** Opens the HTML file `file` in a fresh headless Chromium and reports what happened. */
export async function visitPage(
  chromium: string,
  file: string,
  options: VisitOptions,
): Promise<PageVisit> {
  const { timeoutMs = 60_000 } = options;
  const deadline = Date.now() + timeoutMs;
  const profile = await Deno.makeTempDir({ prefix: "pivot_chromium_" });
  const browser = new Deno.Command(chromium, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
      "--remote-debugging-port=0",
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let cdp: Cdp | undefined;
  try {
    cdp = await Cdp.connect(await devToolsUrl(profile, deadline));
    const { targetId } = await cdp.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await cdp.send("Target.attachToTarget", { targetId, flatten: true });
    const problems: string[] = [];
    cdp.on((event) => {
      if (event.sessionId !== sessionId) return;
      const params = event.params as Record<string, CdpData>;
      if (event.method === "Runtime.consoleAPICalled" && /error|warning|assert/.test(params.type)) {
        problems.push(
          `console.${params.type}: ${
            params.args.map((arg: CdpData) => arg.value ?? arg.description).join(" ")
          }`,
        );
      } else if (event.method === "Log.entryAdded" && /error|warning/.test(params.entry.level)) {
        problems.push(`log ${params.entry.level}: ${params.entry.text} ${params.entry.url ?? ""}`);
      } else if (event.method === "Runtime.exceptionThrown") {
        const details = params.exceptionDetails;
        problems.push(`exception: ${details.exception?.description ?? details.text}`);
      }
    });
    const session = (method: string, params: Record<string, unknown> = {}) =>
      cdp!.send(method, params, sessionId);
    await session("Runtime.enable");
    await session("Log.enable");
    await session("Page.enable");
    await session("Emulation.setDeviceMetricsOverride", {
      width: 1280,
      height: 900,
      deviceScaleFactor: 1,
      mobile: false,
    });
    const loaded = cdp.waitFor((event) =>
      event.sessionId === sessionId && event.method === "Page.loadEventFired"
    );
    await session("Page.navigate", { url: pathToFileURL(file).href });
    await loaded;
    const evaluate = async (expression: string) =>
      (await session("Runtime.evaluate", { expression, returnByValue: true })).result.value;
    while (!(await evaluate(options.ready))) {
      if (Date.now() > deadline) throw new Error(`page not ready after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const probe = await evaluate(options.probe);
    const metrics = await session("Page.getLayoutMetrics");
    const size = metrics.cssContentSize;
    const shot = await session("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
      clip: { x: 0, y: 0, width: size.width, height: size.height, scale: 1 },
    });
    const screenshot = Uint8Array.from(atob(shot.data), (c) => c.charCodeAt(0));
    return { problems, probe, screenshot };
  } finally {
    if (cdp !== undefined) {
      await cdp.send("Browser.close").catch(() => undefined);
      await cdp.close();
    }
    try {
      browser.kill("SIGKILL");
    } catch { /* already gone */ }
    await browser.status;
    await Deno.remove(profile, { recursive: true }).catch(() => undefined);
  }
}

async function devToolsUrl(profile: string, deadline: number): Promise<string> {
  const file = path.join(profile, "DevToolsActivePort");
  while (Date.now() < deadline) {
    try {
      const [port, browserPath] = (await Deno.readTextFile(file)).trim().split("\n");
      if (port && browserPath) return `ws://127.0.0.1:${port}${browserPath}`;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("chromium did not open its DevTools port");
}

/** Protocol data, read field by field as the DevTools Protocol documents it. */
// deno-lint-ignore no-explicit-any
type CdpData = any;

interface CdpEvent {
  method: string;
  params: unknown;
  sessionId?: string;
}

/** A minimal DevTools Protocol client: requests by id, events to listeners. */
class Cdp {
  #socket: WebSocket;
  #next = 1;
  #pending = new Map<number, { resolve: (v: CdpData) => void; reject: (e: Error) => void }>();
  #listeners: ((event: CdpEvent) => void)[] = [];

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data as string);
      if (data.id !== undefined) {
        const pending = this.#pending.get(data.id);
        this.#pending.delete(data.id);
        if (data.error) pending?.reject(new Error(`${data.error.message} (${data.error.code})`));
        else pending?.resolve(data.result);
      } else {
        for (const listener of [...this.#listeners]) listener(data);
      }
    };
  }

  static connect(url: string): Promise<Cdp> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.onopen = () => resolve(new Cdp(socket));
      socket.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<CdpData> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#socket.send(
        JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }),
      );
    });
  }

  on(listener: (event: CdpEvent) => void): void {
    this.#listeners.push(listener);
  }

  waitFor(match: (event: CdpEvent) => boolean): Promise<CdpEvent> {
    return new Promise((resolve) => {
      const listener = (event: CdpEvent) => {
        if (!match(event)) return;
        this.#listeners = this.#listeners.filter((other) => other !== listener);
        resolve(event);
      };
      this.#listeners.push(listener);
    });
  }

  close(): Promise<void> {
    if (this.#socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.#socket.onclose = () => resolve();
      this.#socket.close();
    });
  }
}
