/**
 * The data formats stage outputs are read and written in.
 *
 * @module
 */
export * from "./format_names.ts";
