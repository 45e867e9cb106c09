/**
 * Showing a watch session: what set off each iteration
 * (`changed: data/raw.csv → prepare`), reloads of the pipeline and errors
 * that did not end the loop, with each run shown as `repro` shows it (a
 * fresh run display per iteration); `--json` prints every event as a JSON
 * line.
 *
 * @module
 */
import type { PipelineReloadedEvent, WatchEvent, WatchTriggerEvent } from "../engine/mod.ts";
import { plural } from "../util/format_bytes.ts";
import type { CliContext } from "./cli_context.ts";
import { createRunDisplay, type DisplayOptions, type RunDisplay } from "./run_display.ts";

/** At most this many changed paths are named in a trigger line. */
const PATHS_SHOWN = 5;

/** A sink for watch events; call `close()` when watching ends. */
export interface WatchDisplay {
  readonly onEvent: (event: WatchEvent) => void;
  readonly close: () => void;
}

/** A display for `ctx` (quiet mode shows only failures and errors). */
export function createWatchDisplay(ctx: CliContext, options: DisplayOptions): WatchDisplay {
  if (options.json) {
    return { onEvent: (event) => ctx.stdout(`${JSON.stringify(event)}\n`), close: () => {} };
  }
  const quiet = ctx.quiet();
  let run: RunDisplay | null = null;
  const say = (line: string) => {
    if (!quiet) ctx.stdout(`${line}\n`);
  };
  const fail = (message: string, hint: string | null) => {
    ctx.stderr(`error: ${message}\n`);
    if (hint !== null) ctx.stderr(`hint: ${hint}\n`);
  };
  return {
    onEvent(event) {
      switch (event.type) {
        case "watch_trigger":
          run?.close();
          say(triggerLine(event));
          run = createRunDisplay(ctx, options);
          break;
        case "pipeline_reloaded":
          if (event.error === null) say(reloadLine(event));
          else {
            fail(event.error, event.hint);
            ctx.warn(
              event.stages.length === 0
                ? "no pipeline loaded yet: fix the error, and watching goes on from there"
                : `the pipeline was not reloaded: the last good one (${
                  plural(event.stages.length, "stage")
                }) stays in use until the error is fixed`,
            );
          }
          break;
        case "watch_error":
          fail(event.message, event.hint);
          break;
        default:
          run?.onEvent(event);
      }
    },
    close() {
      run?.close();
    },
  };
}

/** `changed: data/raw.csv → prepare`, `changed: pivot.yaml → reloading the pipeline`. */
export function triggerLine(event: WatchTriggerEvent): string {
  switch (event.source) {
    case "initial":
      return "watching for changes (Ctrl-C to stop)";
    case "request":
      return `requested: run ${
        event.stages.length === 0 ? "the watched stages" : event.stages.join(", ")
      }`;
    case "change": {
      const shown = event.paths.slice(0, PATHS_SHOWN).join(", ");
      const more = event.paths.length > PATHS_SHOWN
        ? ` and ${event.paths.length - PATHS_SHOWN} more`
        : "";
      const what = event.paths.length === 0 ? "files (events were lost)" : `${shown}${more}`;
      const effect = event.reload ? "reloading the pipeline" : event.stages.join(", ");
      return `changed: ${what} → ${effect}`;
    }
  }
}

/** `pipeline reloaded: 4 stages (added: eval/train; modified: train)`. */
export function reloadLine(event: PipelineReloadedEvent): string {
  const lists: [string, readonly string[]][] = [
    ["added", event.stages_added],
    ["removed", event.stages_removed],
    ["modified", event.stages_modified],
  ];
  const parts = lists.filter(([, names]) => names.length > 0)
    .map(([what, names]) => `${what}: ${names.join(", ")}`);
  return `pipeline reloaded: ${plural(event.stages.length, "stage")}${
    parts.length === 0 ? ", none changed" : ` (${parts.join("; ")})`
  }`;
}
