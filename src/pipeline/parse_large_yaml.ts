import { parseYamlSource } from "./yaml_source.ts";

/**
 * From how many characters a YAML file is parsed in a worker: the `yaml`
 * package's syntax tree takes ~60 bytes per character of text (64 MB for a
 * 1 MB file of 10,000 stages), and heap this isolate grows for it stays
 * with the process for the rest of the run. Below this, the tree is a few
 * MB and the worker's start and cold parser would cost more than they save.
 */
const WORKER_FROM_CHARS = 256 * 1024;

/**
 * The plain data of YAML `text` (`null` for an empty file): parsed in a
 * short-lived worker when the text is large, so the parser's syntax tree
 * and garbage never grow this isolate's heap (a worker's memory goes back to
 * the system when it ends), else in this thread.
 *
 * Text that does not parse, or a worker that cannot start or fails, is
 * parsed here: errors are those of {@linkcode parseYamlSource}, with line
 * and column in `file` (shown as `displayFile`).
 *
 * @throws {PipelineFileError} on a syntax error, with line and column
 */
export async function parseLargeYaml(
  text: string,
  file: string,
  displayFile: string,
): Promise<unknown> {
  if (text.length >= WORKER_FROM_CHARS) {
    const parsed = await parseInWorker(text);
    if (parsed !== null) return parsed.data;
  }
  return parseYamlSource(text, file, displayFile).data;
}

/** `text`'s data parsed in a worker, or `null` (invalid text, or no worker from this build). */
async function parseInWorker(text: string): Promise<{ readonly data: unknown } | null> {
  const entry = new URL("./yaml_parse_worker.ts", import.meta.url);
  // A bundled or compiled pivot has no module file to start a worker from.
  try {
    if (entry.protocol !== "file:" || !Deno.statSync(entry).isFile) return null;
  } catch {
    return null;
  }
  const worker = new Worker(entry, { type: "module", name: "pivot-yaml-parser" });
  try {
    return await new Promise((resolve) => {
      worker.onmessage = (event: MessageEvent<{ readonly data: unknown } | null>) =>
        resolve(event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        resolve(null);
      };
      worker.postMessage(text);
    });
  } finally {
    worker.terminate();
  }
}
