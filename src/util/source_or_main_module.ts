/**
 * `beside` (a worker entry file next to the caller) when it exists on disk,
 * as when pivot runs from source; else the main module. A bundled or compiled
 * pivot has no separate files: its main module starts each worker role itself
 * when it finds itself in a worker.
 */
export function sourceOrMainModule(beside: URL): string {
  if (beside.protocol === "file:") {
    try {
      if (Deno.statSync(beside).isFile) return beside.href;
    } catch { /* not running from source */ }
  }
  return Deno.mainModule;
}
