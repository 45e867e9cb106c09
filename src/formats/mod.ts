/**
 * Output formats: their names and extensions, and reading and writing values
 * in them.
 *
 * @module
 */
export * from "./format_names.ts";
export * from "./read_value.ts";
export * from "./write_value.ts";
