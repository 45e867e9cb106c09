/**
 * How long a `pipeline.ts` module may take to load, by default: in its own
 * small module, for the config's defaults, which need it without the
 * module loader.
 *
 * @module
 */

/** Seconds a pipeline module may take to load, unless `core.load_timeout` says otherwise. */
export const DEFAULT_LOAD_TIMEOUT = 60;
