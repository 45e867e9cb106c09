import { planStage } from "../engine/mod.ts";
import { openContentCache, type Project } from "../project/mod.ts";
import { type CheckoutMode, readLockFile } from "../storage/mod.ts";
import { stageStatus } from "./repro_stages.ts";

/** One stage's verification. */
export interface VerifyReport {
  readonly stage: string;
  readonly passed: boolean;
  /** Why it failed (`params changed`, `content missing from the cache: …`), or `""`. */
  readonly reason: string;
  /** Identities of cached outputs whose content is not in the local cache. */
  readonly missing: readonly string[];
}

/**
 * Checks that every selected stage (and its upstream) is up to date and that
 * the content of every cached output is in the local cache.
 */
export async function verifyStages(
  project: Project,
  options: {
    targets: readonly string[];
    modes: readonly CheckoutMode[];
    warn: (m: string) => void;
  },
): Promise<VerifyReport[]> {
  const statuses = await stageStatus(project, { ...options, upstream: true });
  // Only blob presence is checked here: the cache, no databases.
  const cache = openContentCache(project.root, project.config);
  const reports: VerifyReport[] = [];
  for (const status of statuses) {
    if (status.stale) {
      reports.push({ stage: status.stage, passed: false, reason: status.reason, missing: [] });
      continue;
    }
    const plan = planStage(project, status.stage);
    const lock = readLockFile(plan.lockFile, { warn: () => {} });
    const missing = plan.outs.filter((out) => {
      const entry = lock?.outs.find((o) => o.key === out.key);
      if (entry === undefined || !entry.cache) return false;
      const hashes = entry.manifest?.map((e) => e.hash) ?? [entry.hash];
      return !hashes.every((hash) => cache.has(hash));
    });
    reports.push({
      stage: status.stage,
      passed: missing.length === 0,
      reason: missing.length === 0
        ? ""
        : `content missing from the cache: ${missing.map((out) => out.display).join(", ")}`,
      missing: missing.map((out) => out.identity),
    });
  }
  return reports;
}
