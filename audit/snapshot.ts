/**
 * Golden summary metrics (`snapshots/<experiment>.json`) and their comparison.
 *
 * Each metric carries an explicit tolerance chosen from the sampling noise at
 * the experiment's sample size n (see {@link toleranceFor}): a rerun with the
 * same seed on the same machine reproduces the value exactly, but BLAS, thread
 * count or libtorch version can change the random stream's path, and then a rate
 * moves like a binomial proportion. Snapshots change only through
 * `crystallm audit <experiment> --update`, and their diffs are reviewed like code.
 *
 * @module
 */

/** One golden metric. */
export interface SnapshotMetric {
  value: number;
  /** Allowed absolute difference. */
  abs?: number;
  /** Allowed relative difference (fraction of |value|). */
  rel?: number;
  /** Why this tolerance. */
  why?: string;
}

/** The file `snapshots/<experiment>.json`. */
export interface Snapshot {
  experiment: string;
  /** Sampling seed the values come from. */
  seed: number | null;
  /** Samples per model × prompt. */
  n: number | null;
  /** What produced it: commit, date, machine. */
  provenance?: Record<string, unknown>;
  tolerance_rule: string;
  metrics: Record<string, SnapshotMetric>;
}

/** The kind of a metric, which sets how its tolerance is chosen. */
export type MetricKind = "rate" | "count" | "loss" | "exact";

/** The rule stated in every snapshot. */
export const TOLERANCE_RULE =
  "rates (validity, hit_rate, uniqueness, parse_rate): abs = max(3*sqrt(p(1-p)/n), 1/n), three binomial " +
  "standard errors at the snapshot's n with a floor of one sample; counts of distinct formulas/space groups: " +
  "abs = max(2, 3*sqrt(count)) (Poisson-like); losses: rel = 0.05; exact (n, counts of files): abs = 0";

/**
 * Tolerance for a metric from the sampling noise at sample size n.
 *
 * @param kind Rate, count, loss or exact.
 * @param value The golden value.
 * @param n Samples behind a rate.
 * @returns The tolerance fields.
 */
export function toleranceFor(kind: MetricKind, value: number, n: number): Pick<SnapshotMetric, "abs" | "rel" | "why"> {
  switch (kind) {
    case "rate": {
      const p = Math.min(Math.max(value, 0), 1);
      const abs = Math.max(3 * Math.sqrt((p * (1 - p)) / Math.max(n, 1)), 1 / Math.max(n, 1));
      return { abs: round6(abs), why: `3 binomial SE at n=${n} (floor 1/n)` };
    }
    case "count":
      return { abs: round6(Math.max(2, 3 * Math.sqrt(Math.max(value, 0)))), why: "max(2, 3*sqrt(count))" };
    case "loss":
      return { rel: 0.05, why: "5% of the loss" };
    case "exact":
      return { abs: 0, why: "deterministic" };
  }
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** One line of an audit. */
export interface AuditLine {
  metric: string;
  snapshot: number | null;
  current: number | null;
  diff: number | null;
  tolerance: string;
  status: "ok" | "DRIFT" | "missing" | "new";
}

/** Result of comparing current metrics with a snapshot. */
export interface AuditResult {
  lines: AuditLine[];
  /** True when no metric drifted or went missing. */
  ok: boolean;
}

/**
 * Compare current metrics with a snapshot.
 *
 * @param snapshot The golden file.
 * @param current Metric name → current value.
 * @returns One line per metric (snapshot order, then new ones) and the verdict.
 * @example Within tolerance
 * ```ts
 * import { auditMetrics } from "./snapshot.ts";
 * const r = auditMetrics({ experiment: "x", seed: 1, n: 10, tolerance_rule: "", metrics: {
 *   "m/validity": { value: 0.9, abs: 0.1 } } }, { "m/validity": 0.8 });
 * if (!r.ok) throw new Error();
 * ```
 */
export function auditMetrics(snapshot: Snapshot, current: Record<string, number | null>): AuditResult {
  const lines: AuditLine[] = [];
  for (const [name, m] of Object.entries(snapshot.metrics)) {
    const cur = current[name];
    const tol = [m.abs !== undefined ? `±${m.abs}` : "", m.rel !== undefined ? `±${(m.rel * 100).toFixed(1)}%` : ""]
      .filter(Boolean).join(" ") || "±0";
    if (cur === undefined || cur === null || Number.isNaN(cur)) {
      lines.push({ metric: name, snapshot: m.value, current: null, diff: null, tolerance: tol, status: "missing" });
      continue;
    }
    const diff = cur - m.value;
    const allowed = Math.max(m.abs ?? 0, (m.rel ?? 0) * Math.abs(m.value));
    // a tiny epsilon so that values printed and re-read at 1e-12 precision compare equal
    const ok = Math.abs(diff) <= allowed + 1e-9;
    lines.push({ metric: name, snapshot: m.value, current: cur, diff, tolerance: tol, status: ok ? "ok" : "DRIFT" });
  }
  for (const [name, v] of Object.entries(current)) {
    if (!(name in snapshot.metrics)) {
      lines.push({ metric: name, snapshot: null, current: v, diff: null, tolerance: "", status: "new" });
    }
  }
  return { lines, ok: lines.every((l) => l.status === "ok" || l.status === "new") };
}

/**
 * Build a snapshot from current metrics.
 *
 * @param experiment Experiment name.
 * @param metrics Metric name → value and kind.
 * @param options Seed, n and provenance to record.
 * @returns The snapshot to write.
 */
export function makeSnapshot(
  experiment: string,
  metrics: Record<string, { value: number; kind: MetricKind; n?: number }>,
  options: { seed: number | null; n: number | null; provenance?: Record<string, unknown> },
): Snapshot {
  const out: Record<string, SnapshotMetric> = {};
  for (const [name, m] of Object.entries(metrics)) {
    out[name] = { value: m.value, ...toleranceFor(m.kind, m.value, m.n ?? options.n ?? 1) };
  }
  return {
    experiment,
    seed: options.seed,
    n: options.n,
    provenance: options.provenance,
    tolerance_rule: TOLERANCE_RULE,
    metrics: out,
  };
}

function num(v: number | null): string {
  if (v === null) return "—";
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}

/**
 * The audit as a fixed-width table for the terminal.
 *
 * @param result The audit.
 * @returns Text with a header row.
 */
export function formatAuditTable(result: AuditResult): string {
  const rows = [["metric", "snapshot", "current", "diff", "tolerance", "status"]];
  for (const l of result.lines) {
    rows.push([l.metric, num(l.snapshot), num(l.current), l.diff === null ? "—" : (l.diff >= 0 ? "+" : "") + num(l.diff), l.tolerance, l.status]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}
