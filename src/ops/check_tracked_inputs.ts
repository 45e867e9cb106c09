/**
 * The check `repro` and `run` make before running anything: every tracked
 * input of the selected stages matches its `.pvt`, so a lock never records
 * content that the `.pvt` and the cache do not hold.
 *
 * @module
 */
import * as path from "node:path";
import type { Session } from "../session/mod.ts";
import { dataPathFor } from "../storage/mod.ts";
import { PivotError } from "../util/errors.ts";
import { relativePosix } from "../util/paths.ts";
import { shellQuote } from "../util/shell_quote.ts";
import { trackedInputsOf } from "./tracked_inputs.ts";
import {
  describeSharedEdit,
  sharedEditFix,
  type TrackedState,
  trackedStatus,
} from "./tracked_status.ts";

/**
 * Checks every tracked input of `stages` against its `.pvt`.
 *
 * @throws {PivotError} listing each tracked input that is modified, missing
 *   or has an unreadable `.pvt`, with the stages reading it, and a hint with
 *   the commands that fix each (in backticks: the paths may be shell-quoted)
 */
export async function checkTrackedInputs(
  session: Session,
  stages: readonly string[],
): Promise<void> {
  const { project } = session;
  const inputs = trackedInputsOf(project, stages);
  if (inputs.size === 0) return;
  const states = await trackedStatus(session, { stages });
  const bad = states.filter((state) => state.status !== "unchanged");
  if (bad.length === 0) return;
  const readers = new Map(
    [...inputs].map(([pvt, names]) => [relativePosix(project.root, dataPathFor(pvt)), names]),
  );
  const shown = (state: TrackedState) =>
    relativePosix(project.cwd, path.join(project.root, state.path));
  const items = bad.map((state) =>
    `${shown(state)} (read by ${readers.get(state.path)!.join(", ")}): ${problemOf(state)}`
  );
  const paths = (test: (state: TrackedState) => boolean) =>
    bad.filter(test).map((state) => shellQuote(shown(state))).join(" ");
  const hints: string[] = [];
  // Edited through a hardlink another path shares: recording it would record an accident.
  for (const state of bad) {
    if (state.sharedEdit !== undefined) hints.push(sharedEditFix(shellQuote(shown(state))));
  }
  const edited = (s: TrackedState) => s.status === "modified" && s.sharedEdit === undefined;
  const back = paths((s) => edited(s) && s.cached);
  const lost = paths((s) => edited(s) && !s.cached);
  const restorable = paths((s) => s.status === "missing" && s.cached);
  const gone = paths((s) => s.status === "missing" && !s.cached);
  const unreadable = paths((s) => s.status === "unreadable");
  if (back !== "") {
    // --force only where the workspace holds content the cache lacks (which it would lose).
    const plain = paths((s) => s.status === "modified" && s.cached && s.workspaceCached === true);
    const forced = paths((s) => s.status === "modified" && s.cached && s.workspaceCached !== true);
    const checkouts = [
      ...(plain === "" ? [] : [`\`pivot checkout ${plain}\``]),
      ...(forced === "" ? [] : [`\`pivot checkout --force ${forced}\``]),
    ];
    hints.push(
      `record the new content with \`pivot track --force ${back}\`, or go back to the recorded version with ${
        checkouts.join(" and ")
      }`,
    );
  }
  if (lost !== "") hints.push(`record the new content with \`pivot track --force ${lost}\``);
  if (restorable !== "") hints.push(`restore with \`pivot checkout ${restorable}\``);
  if (gone !== "") {
    hints.push(`put ${gone} back by hand (the cache does not hold the recorded content)`);
  }
  if (unreadable !== "") {
    hints.push(
      `restore the .pvt file from git, or record the data again with \`pivot track --force ${unreadable}\``,
    );
  }
  const one = bad.length === 1;
  throw new PivotError(
    `${one ? "tracked input does" : `${bad.length} tracked inputs do`} not match ${
      one ? "its .pvt file" : "their .pvt files"
    }, so nothing was run:\n${items.map((item) => `  ${item}`).join("\n")}`,
    { hint: hints.join("; ") },
  );
}

function problemOf(state: TrackedState): string {
  if (state.sharedEdit !== undefined) return describeSharedEdit(state.sharedEdit);
  const lost = state.cached ? "" : ", and the cache does not hold its recorded content";
  switch (state.status) {
    case "modified":
    case "missing":
      return `${state.status}${lost}`;
    case "unreadable":
      return "its .pvt file cannot be read, see the warning above";
    case "unchanged":
      return "unchanged";
  }
}
