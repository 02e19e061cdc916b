/**
 * Summaries of evaluated samples: per-model × per-prompt tables with macro
 * averages (`summary.csv`, `summary.md`) and the HTML report with Vega-Lite plots.
 *
 * @module
 */
// defines: summarize(), summarizeCell(), summaryCsv(), macroCsv(), summaryMarkdown(), SummaryRow, MacroRow
export * from "./summarize.ts";
// defines: renderReport(), vegaLiteToSvg()
export * from "./report.ts";
// defines: cspRows(), cspCsv(), cspCells(), CSP_COLUMNS, CspRow
export * from "./csp.ts";
