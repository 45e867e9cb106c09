/**
 * Retrying remote requests: exponential backoff with jitter, a bounded
 * number of attempts, only for errors marked retryable.
 *
 * @module
 */
import { RemoteError } from "./backend.ts";

/** How often and how patiently to retry. */
export interface RetryPolicy {
  /** Attempts after the first. */
  readonly retries: number;
  /** Delay before the first retry; doubled for each next one. @default {250} */
  readonly baseDelayMs?: number;
  /** Longest delay. @default {8000} */
  readonly maxDelayMs?: number;
}

/** Told before each retry. */
export type RetryListener = (attempt: number, delayMs: number, error: RemoteError) => void;

/** Waits `ms` milliseconds (tests pass one that records the delays instead). */
export type Sleep = (ms: number) => Promise<void>;

/** A {@linkcode Sleep} on a timer. */
function sleepFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The delay before retry number `attempt` (1-based): half of
 * `min(max, base × 2^(attempt-1))` plus a random part of the other half, so
 * clients throttled together do not come back together.
 */
export function retryDelay(policy: RetryPolicy, attempt: number): number {
  const { baseDelayMs = 250, maxDelayMs = 8_000 } = policy;
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/**
 * Calls `request` until it succeeds, throws an error that is not a
 * retryable {@linkcode RemoteError}, or has failed `policy.retries + 1` times
 * (then the last error is thrown, saying how many attempts were made).
 * Each wait before a retry goes through `sleep`.
 */
export async function withRetry<T>(
  request: () => Promise<T>,
  policy: RetryPolicy,
  onRetry: RetryListener = () => {},
  sleep: Sleep = sleepFor,
): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (!(error instanceof RemoteError) || !error.retryable) throw error;
      if (attempt > policy.retries) {
        throw new RemoteError(
          attempt === 1 ? error.message : `${error.message} (gave up after ${attempt} attempts)`,
          { objectOnly: error.objectOnly, hint: error.hint },
        );
      }
      const delay = retryDelay(policy, attempt);
      onRetry(attempt, delay, error);
      await sleep(delay);
    }
  }
}
