/**
 * Reports on outputs: metric and param values flattened and compared, plot
 * data turned into Vega-Lite specifications, and the self-contained plots
 * page.
 *
 * @module
 */
export * from "./diff_values.ts";
export * from "./flatten_values.ts";
export * from "./metric_values.ts";
export * from "./plot_data.ts";
export * from "./plot_libraries.ts";
export * from "./plot_spec.ts";
export * from "./plots_page.ts";
export * from "./diff_tables.ts";
export * from "./table_rows.ts";
