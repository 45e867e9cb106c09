/**
 * The `yaml` package, as every pivot module imports it. Importing it costs
 * 20–40 ms (about seventy CommonJS files), so the modules on the way of a
 * run after a change (`main.ts` → `cli/fast_repro.ts`) import this module
 * only when a text must be parsed (a config file, a `params.yaml`, a
 * pipeline file the parse cache does not hold, a `.pvt` file), with
 * `await import("…/util/yaml_lib.ts")`.
 *
 * Its first import snapshots `process.env`: the package reads
 * `process.env.LOG_TOKENS` for every token, and Deno's `process.env` asks
 * the operating system each time. pivot never sets variables through
 * `process.env`, and child processes get Deno's own environment.
 *
 * @module
 */
import process from "node:process";

process.env = { ...process.env };

export * from "yaml";
