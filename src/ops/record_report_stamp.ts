/**
 * The evidence of report stamps (see `report_stamp.ts`) after a report command
 * (`store_report_stamp.ts` stores them).
 *
 * @module
 */
import { scanProjectFiles } from "../project/mod.ts";
import type { Session } from "../session/mod.ts";
import { dataPathFor } from "../storage/mod.ts";
import type { StampEvidence } from "./noop_stamp.ts";
import { pipelineModuleSources } from "./pipeline_modules.ts";
import { stampEvidence } from "./record_noop_stamp.ts";
import type { StampedUpToDate } from "./stamped_up_to_date.ts";

/**
 * The signatures of everything a report command of `session` may have read
 * (see `buildNoopStamp`): what every stage of the project reads, the `.pvt`
 * files of the project with their data, and the directories searched for
 * them, and what `pipeline.ts` modules are loaded from. `since` is when the
 * command started reading; `null` when the signatures would not be evidence.
 * The reads of the stages `stamped` vouched for (which the command did not
 * assess) are its stamp's, found unchanged after `since`.
 */
export async function reportEvidence(
  session: Session,
  since: number,
  stamped: StampedUpToDate | null = null,
): Promise<StampEvidence | null> {
  const { project } = session;
  const modules = await pipelineModuleSources(session);
  if (modules === null) return null;
  const scan = scanProjectFiles(project.root);
  return stampEvidence(session, project.dag.order, since, {
    files: [...scan.dirs, ...scan.pvtFiles],
    trees: scan.pvtFiles.map(dataPathFor),
    pipelineModules: modules,
    ...(stamped === null ? {} : {
      sources: stamped.stamp.sources,
      // The stamp holds only when none of its paths changed.
      carried: { evidence: stamped.stamp, stages: stamped.stages, changed: new Set<string>() },
    }),
  });
}
