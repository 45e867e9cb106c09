/**
 * The `yaml` package, as every pivot module imports it. Importing it costs
 * 20–40 ms (about seventy CommonJS files), so the modules on the way of a
 * run after a change (`main.ts` → `cli/fast_repro.ts`) import this module
 * only when a text must be parsed (a config file, a `params.yaml`, a
 * pipeline file the parse cache does not hold, a `.pvt` file), with
 * `await import("…/util/yaml_lib.ts")`.
 *
 * (`main.ts` takes a snapshot of `process.env` first, for its speed: see
 * `cli/process_env_snapshot.ts`.)
 *
 * @module
 */
export * from "yaml";
