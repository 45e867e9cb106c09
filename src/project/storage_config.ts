import * as path from "node:path";
import { CHECKOUT_MODES, type CheckoutMode, ContentCache } from "../storage/mod.ts";
import { didYouMean } from "../util/did_you_mean.ts";
import type { EnvReader } from "../util/env_reader.ts";
import { UsageError } from "../util/errors.ts";
import { type Config, configList, configString } from "./config.ts";

/** What decides where a project's content cache is (a `Project` is one). */
export interface CacheLocation {
  /** The project root. */
  readonly root: string;
  /** Its merged configuration. */
  readonly config: Config;
  /** The variables the command sees (`PIVOT_CACHE_DIR`). */
  readonly env: EnvReader;
}

/**
 * The content cache directory: `PIVOT_CACHE_DIR`, else config `cache.dir`,
 * else `<project root>/.pivot/cache`; relative values are resolved against
 * the project root.
 */
export function cacheDirFor({ root, config, env }: CacheLocation): string {
  const fromEnv = env("PIVOT_CACHE_DIR")?.trim();
  const chosen = fromEnv || configString(config, "cache.dir") || path.join(".pivot", "cache");
  return path.resolve(root, chosen);
}

/** The project's content cache. */
export function openContentCache(location: CacheLocation): ContentCache {
  return new ContentCache(cacheDirFor(location));
}

/**
 * The checkout modes to try, in order: exactly `forced` when given (the
 * `--checkout-mode` option), else config `cache.checkout_mode`.
 */
export function checkoutModes(config: Config, forced?: CheckoutMode): CheckoutMode[] {
  if (forced !== undefined) return [forced];
  return (configList(config, "cache.checkout_mode") ?? [...CHECKOUT_MODES]) as CheckoutMode[];
}

/**
 * Parses a `--checkout-mode` value.
 *
 * @throws {UsageError} for anything but `hardlink`, `symlink` or `copy`
 */
export function parseCheckoutMode(text: string): CheckoutMode {
  if ((CHECKOUT_MODES as readonly string[]).includes(text)) return text as CheckoutMode;
  throw new UsageError(
    `invalid checkout mode '${text}'${didYouMean(text, CHECKOUT_MODES)}`,
    { hint: `choose one of ${CHECKOUT_MODES.join(", ")}` },
  );
}
