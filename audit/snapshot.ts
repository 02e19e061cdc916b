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
import { join } from "node:path";
import { REPO_ROOT } from "../core/paths.ts";

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
export type MetricKind = "rate" | "count" | "loss" | "exact" | "mean";

/** The rule stated in every snapshot. */
export const TOLERANCE_RULE =
  "rates (validity, hit_rate, uniqueness, parse_rate, match_rate): abs = max(3*sqrt(p(1-p)/n), 1/n), three binomial " +
  "standard errors at the snapshot's n (match_rate: the compositions scored) with a floor of one sample; counts of distinct formulas/space groups: " +
  "abs = max(2, 3*sqrt(count)) (Poisson-like); losses: rel = 0.05; exact (n, counts of files): abs = 0; means (a CSP benchmark's rms_dist): abs = max(3*sd/sqrt(m), 1e-4), " +
  "three standard errors of the mean over its m matched compositions";

/**
 * Tolerance for a metric from the sampling noise at sample size n.
 *
 * @param kind Rate, count, loss or exact.
 * @param value The golden value.
 * @param n Samples behind a rate or a mean.
 * @param sd A mean's sample standard deviation.
 * @returns The tolerance fields.
 */
export function toleranceFor(
  kind: MetricKind,
  value: number,
  n: number,
  sd?: number | null,
): Pick<SnapshotMetric, "abs" | "rel" | "why"> {
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
    case "mean": {
      // one matched composition: no spread to measure, so a third of the value
      const abs = sd != null && n > 1 ? Math.max(3 * sd / Math.sqrt(n), 1e-4) : Math.max(Math.abs(value) / 3, 1e-4);
      return { abs: round6(abs), why: sd != null && n > 1 ? `3 SE of the mean over m=${n} (sd ${round6(sd)})` : "a third of the value (m=1)" };
    }
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
  /** True when no metric drifted or went missing, and none is new (unless allowed). */
  ok: boolean;
}

/** Thrown for a snapshot file that cannot be used: unreadable JSON or the wrong shape. */
export class SnapshotError extends Error {
  override name = "SnapshotError";
}

/**
 * Parse and check a snapshot file's text: every field the audit relies on must be there
 * with its type (a number where a number belongs).
 *
 * @param text The file's content.
 * @param path The file, for messages.
 * @returns The snapshot.
 * @throws {SnapshotError} Saying what is wrong and where.
 * @example A string where a number belongs
 * ```ts
 * import { parseSnapshot } from "./snapshot.ts";
 * import assert from "node:assert/strict";
 * const text = JSON.stringify({ experiment: "x", seed: 1, n: 4, tolerance_rule: "", metrics: { "m/validity": { value: "0.5" } } });
 * assert.throws(() => parseSnapshot(text, "x.json"), /metrics\["m\/validity"\]\.value is not a number/);
 * ```
 */
export function parseSnapshot(text: string, path: string): Snapshot {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SnapshotError(`Cannot read snapshot ${path}: invalid JSON (${(e as Error).message}); restore it from git`);
  }
  const problems: string[] = [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObj(raw)) throw new SnapshotError(`Cannot read snapshot ${path}: not a JSON object; restore it from git`);
  if (typeof raw.experiment !== "string") problems.push("experiment is missing or not a string");
  for (const k of ["seed", "n"]) {
    if (raw[k] !== null && (typeof raw[k] !== "number" || !Number.isFinite(raw[k]))) problems.push(`${k} is missing or not a number`);
  }
  if (raw.provenance !== undefined && !isObj(raw.provenance)) problems.push("provenance is not an object");
  if (!isObj(raw.metrics)) problems.push("metrics is missing or not an object");
  else {
    if (Object.keys(raw.metrics).length === 0) problems.push("metrics is empty");
    for (const [name, m] of Object.entries(raw.metrics)) {
      const at = `metrics[${JSON.stringify(name)}]`;
      if (!isObj(m)) {
        problems.push(`${at} is not an object`);
        continue;
      }
      if (typeof m.value !== "number" || !Number.isFinite(m.value)) problems.push(`${at}.value is not a number`);
      for (const k of ["abs", "rel"]) {
        if (m[k] !== undefined && (typeof m[k] !== "number" || !((m[k] as number) >= 0))) {
          problems.push(`${at}.${k} is not a number >= 0`);
        }
      }
    }
  }
  if (problems.length) {
    throw new SnapshotError(`Cannot use snapshot ${path}: ${problems.slice(0, 5).join("; ")}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ""}; restore it from git`);
  }
  return raw as unknown as Snapshot;
}

/** What a run was, to check a snapshot's header against. */
export interface RunIdentity {
  experiment: string;
  n: number;
  seed: number;
  profile: string | null;
}

/**
 * Differences between a snapshot's header (experiment, n, seed, profile) and the run.
 *
 * @param snapshot The snapshot.
 * @param run What was run.
 * @returns One line per field that differs.
 */
export function headerMismatches(snapshot: Snapshot, run: RunIdentity): string[] {
  const out: string[] = [];
  if (snapshot.experiment !== run.experiment) out.push(`experiment: snapshot ${snapshot.experiment}, run ${run.experiment}`);
  if (snapshot.n !== run.n) out.push(`n: snapshot ${snapshot.n}, run ${run.n}`);
  if (snapshot.seed !== run.seed) out.push(`seed: snapshot ${snapshot.seed}, run ${run.seed}`);
  const profile = (snapshot.provenance?.profile ?? null) as string | null;
  if (profile !== run.profile) out.push(`profile: snapshot ${profile ?? "none"}, run ${run.profile ?? "none"}`);
  return out;
}

/** Options of {@linkcode auditMetrics}. */
export interface AuditOptions {
  /** Accept run metrics the snapshot does not hold (they are still listed as new). @default {false} */
  allowNew?: boolean;
}

/**
 * Compare current metrics with a snapshot: a snapshot metric the run lacks fails, and so
 * does a run metric the snapshot lacks unless `allowNew` (a metric that is null in the run
 * and absent from the snapshot is absent from both).
 *
 * @param snapshot The golden file.
 * @param current Metric name → current value.
 * @param options `allowNew`.
 * @returns One line per metric (snapshot order, then new ones) and the verdict.
 * @example Within tolerance
 * ```ts
 * import { auditMetrics } from "./snapshot.ts";
 * const r = auditMetrics({ experiment: "x", seed: 1, n: 10, tolerance_rule: "", metrics: {
 *   "m/validity": { value: 0.9, abs: 0.1 } } }, { "m/validity": 0.8 });
 * if (!r.ok) throw new Error();
 * ```
 */
export function auditMetrics(
  snapshot: Snapshot,
  current: Record<string, number | null>,
  options: AuditOptions = {},
): AuditResult {
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
    if (!(name in snapshot.metrics) && v !== null) {
      lines.push({ metric: name, snapshot: null, current: v, diff: null, tolerance: "", status: "new" });
    }
  }
  const ok = lines.length > 0 &&
    lines.every((l) => l.status === "ok" || (l.status === "new" && options.allowNew === true));
  return { lines, ok };
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
  metrics: Record<string, { value: number; kind: MetricKind; n?: number; sd?: number | null }>,
  options: { seed: number | null; n: number | null; provenance?: Record<string, unknown> },
): Snapshot {
  const out: Record<string, SnapshotMetric> = {};
  for (const [name, m] of Object.entries(metrics)) {
    out[name] = { value: m.value, ...toleranceFor(m.kind, m.value, m.n ?? options.n ?? 1, m.sd) };
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

/** Snapshot path of an experiment (and profile): `snapshots/<experiment>[.<profile>].json`. */
export function snapshotPath(experiment: string, profile?: string): string {
  return join(REPO_ROOT, "snapshots", profile ? `${experiment}.${profile}.json` : `${experiment}.json`);
}
