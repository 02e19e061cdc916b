/**
 * Golden snapshots and run comparison: tolerances from sampling noise, the
 * audit diff table, and `dvc metrics diff`-style run diffs.
 *
 * @module
 */
// defines: auditMetrics(), makeSnapshot(), toleranceFor(), formatAuditTable(), Snapshot, TOLERANCE_RULE
export * from "./snapshot.ts";
// defines: diffMetrics(), readRunMetrics(), formatDiffTable()
export * from "./diff.ts";
