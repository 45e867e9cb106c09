/**
 * Storing a report stamp (see `report_stamp.ts`). Kept light: the status
 * fast path stores one before the rest of pivot is loaded.
 *
 * @module
 */
import { withExistingProjectDb } from "../session/existing_state_db.ts";
import { NOOP_STAMP_FORMAT, NOOP_STAMPS_KEPT, type StampEvidence } from "./noop_stamp.ts";
import type { ReportAnswer, ReportStamp } from "./report_stamp.ts";

/** Stores, under `key` in the project at `root`, what a report command printed and read. */
export function storeReportStamp(
  root: string,
  key: string,
  evidence: StampEvidence,
  since: number,
  answer: ReportAnswer,
): void {
  const stamp: ReportStamp = {
    format: NOOP_STAMP_FORMAT,
    writtenMs: since,
    ...evidence,
    ...answer,
  };
  withExistingProjectDb(
    root,
    (db) => db.putNoopStamp(key, JSON.stringify(stamp), NOOP_STAMPS_KEPT),
  );
}
