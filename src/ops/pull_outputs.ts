import type { Session } from "../session/mod.ts";
import { checkoutOutputs, type CheckoutReport } from "./checkout_outputs.ts";
import { fetchCache } from "./fetch_cache.ts";
import type { TransferCacheOptions } from "./push_cache.ts";
import { transferFailed, type TransferReport } from "./transfer_report.ts";

/** Options for {@linkcode pullOutputs}. */
export interface PullOptions extends TransferCacheOptions {
  /** Overwrite workspace copies that differ from the recorded version. @default {false} */
  readonly force?: boolean;
}

/** What {@linkcode pullOutputs} did. */
export interface PullReport {
  readonly fetch: TransferReport;
  /** The checkout, or `null` when the fetch failed or was a dry run. */
  readonly checkout: CheckoutReport | null;
}

/**
 * Fetches what `targets` reference, then checks out exactly those targets:
 * missing workspace files are restored; a copy that differs from the
 * recorded version is left alone unless `force`. Nothing is checked out when
 * any fetch failed.
 *
 * @throws {PivotError} as `fetchCache` and `checkoutOutputs` do
 */
export async function pullOutputs(session: Session, options: PullOptions): Promise<PullReport> {
  const fetch = await fetchCache(session, options);
  if (options.dryRun || transferFailed(fetch)) return { fetch, checkout: null };
  const checkout = await checkoutOutputs(session, {
    targets: options.targets,
    force: options.force ?? false,
    signal: options.signal,
  });
  return { fetch, checkout };
}
