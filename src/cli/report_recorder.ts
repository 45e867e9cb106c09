/**
 * Recording the report stamp of a report command run the full way (see
 * `ops/report_stamp.ts`): what it printed, and the signatures of what its
 * session read, taken as the session closes.
 *
 * @module
 */
import type { StampEvidence } from "../ops/noop_stamp.ts";
import { reportEvidence } from "../ops/record_report_stamp.ts";
import { reportStampKey } from "../ops/report_stamp.ts";
import type { StampedUpToDate } from "../ops/stamped_up_to_date.ts";
import { storeReportStamp } from "../ops/store_report_stamp.ts";
import type { Session } from "../session/mod.ts";
import type { CliIo } from "./cli_context.ts";
import { reportQuery } from "./fast_report.ts";

/**
 * Passes a report command's output on while keeping a copy, and stores it
 * with the command's evidence once the exit status is known. Nothing is
 * stored when anything went to stderr, when the command opened no session
 * or more than one, or when its reads would not be evidence.
 */
export class ReportRecorder {
  readonly #args: readonly string[];
  readonly #io: CliIo;
  /** When the command started (ms since the epoch). */
  readonly #since = Date.now();
  #stdout = "";
  #stderr = "";
  #sessions = 0;
  #evidence: { root: string; evidence: StampEvidence } | null = null;
  #stamped: StampedUpToDate | null = null;

  /** A recorder for the command line `args` run with `io`. */
  constructor(args: readonly string[], io: CliIo) {
    this.#args = args;
    this.#io = io;
  }

  /** Writes to standard output, keeping a copy. */
  readonly stdout = (text: string): void => {
    this.#stdout += text;
    this.#io.stdout(text);
  };

  /** Writes to standard error, keeping a copy. */
  readonly stderr = (text: string): void => {
    this.#stderr += text;
    this.#io.stderr(text);
  };

  /** Takes the evidence of `session` when it closes. */
  readonly sessionOpened = (session: Session): void => {
    this.#sessions++;
    session.whenClosing(async () => {
      const evidence = await reportEvidence(session, this.#since, this.#stamped);
      this.#evidence = evidence === null ? null : { root: session.project.root, evidence };
    });
  };

  /** Takes the reads of the stages `stamped` vouched for from its stamp. */
  readonly stampedUpToDate = (stamped: StampedUpToDate): void => {
    this.#stamped = stamped;
  };

  /** Stores the stamp of the command, which exited with `code`, when it is evidence. */
  finish(code: number): void {
    if (this.#sessions !== 1 || this.#evidence === null || this.#stderr !== "") return;
    const { root, evidence } = this.#evidence;
    try {
      const key = reportStampKey(reportQuery(this.#args, this.#io));
      storeReportStamp(root, key, evidence, this.#since, {
        stdout: this.#stdout,
        stderr: this.#stderr,
        code,
      });
    } catch {
      // A stamp only saves time: without it (a full disk, a read-only state.db), the next
      // such command goes the full way again.
    }
  }
}
