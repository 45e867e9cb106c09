/**
 * Entry module of the short-lived worker that parses a large YAML file (see
 * `parse_large_yaml.ts`): it parses the text it is sent, a few stages at a
 * time where it can (see `stream_yaml_data.ts`), else whole, and posts back
 * the plain data, or `null` when the text does not parse (the caller parses
 * it again itself, for the exact error).
 *
 * @module
 */
import { streamYamlData } from "./stream_yaml_data.ts";
import { parseYamlSource } from "./yaml_source.ts";

/** The worker's global scope, as far as this module uses it. */
interface WorkerScope {
  postMessage(message: { readonly data: unknown } | null): void;
  onmessage: ((event: MessageEvent<string>) => void) | null;
}

const scope = globalThis as unknown as WorkerScope;
scope.onmessage = (event) => {
  let reply: { readonly data: unknown } | null;
  try {
    reply = streamYamlData(event.data) ?? { data: parseYamlSource(event.data, "", "").data };
  } catch {
    reply = null;
  }
  scope.postMessage(reply);
};
