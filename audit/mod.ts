/**
 * Golden snapshots and run comparison: tolerances from sampling noise, the
 * audit diff table, and `dvc metrics diff`-style run diffs.
 *
 * @module
 */
// defines: auditMetrics(), parseSnapshot(), headerMismatches(), makeSnapshot(), toleranceFor(), formatAuditTable(), Snapshot, SnapshotError, TOLERANCE_RULE
export * from "./snapshot.ts";
// defines: diffMetrics(), readRunMetrics(), formatDiffTable()
export * from "./diff.ts";
