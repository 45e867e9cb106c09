import { pathToFileURL } from "node:url";

/**
 * Opens `file` in the desktop's browser (`open` on macOS, `xdg-open`
 * elsewhere) without waiting for it. Returns a problem to report, or `null`:
 * a missing opener is no error, the page is there all the same.
 */
export async function openInBrowser(file: string): Promise<string | null> {
  const opener = Deno.build.os === "darwin" ? "open" : "xdg-open";
  const url = pathToFileURL(file).href;
  try {
    const child = new Deno.Command(opener, {
      args: [url],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const status = await child.status;
    return status.success ? null : `${opener} ${url} failed (exit status ${status.code})`;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    return `cannot open a browser: '${opener}' was not found; open ${url} yourself`;
  }
}
