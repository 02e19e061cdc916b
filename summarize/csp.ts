/**
 * The CSP benchmark's table (`summary_csp.csv`, a section of `summary.md` and the report): match
 * rate and mean RMS distance per model at n = 1 and n = `sample.n` generations per test
 * composition, read back from the run's flat metrics (`<model>/csp/n<k>/match_rate`,
 * `…/rms_dist`, `…/n`, as run/benchmark.ts writes them into metrics.json).
 *
 * @module
 */
import { stringify } from "csv-stringify/sync";

/** One row: a model scored over its first `n_gens` generations per composition. */
export interface CspRow {
  model: string;
  /** Generations per composition counted (upstream's `--num-gens`). */
  n_gens: number;
  /** Test compositions scored. */
  compositions: number;
  /** Compositions with a generation that matches the true structure. */
  matched: number;
  /** matched / compositions. */
  match_rate: number;
  /** Mean normalized RMS distance over the matched compositions; null when none matched. */
  rms_dist: number | null;
}

/** The columns of `summary_csp.csv`, in order. */
export const CSP_COLUMNS: (keyof CspRow)[] = ["model", "n_gens", "compositions", "matched", "match_rate", "rms_dist"];

const KEY = /^(.+)\/csp\/n(\d+)\/(match_rate|rms_dist|n)$/;

/**
 * The CSP rows of a run's metrics, ordered by model then n_gens; none when the experiment has
 * no benchmark.
 *
 * @param metrics Flat metrics (metrics.json).
 * @returns One row per model and n_gens that has all three metrics.
 * @example
 * ```ts
 * import { cspRows } from "./csp.ts";
 * import assert from "node:assert/strict";
 * const rows = cspRows({
 *   "m/csp/n1/match_rate": 0.25, "m/csp/n1/rms_dist": 0.1, "m/csp/n1/n": 8,
 *   "m/validity": 1,
 * });
 * assert.deepEqual(rows, [{ model: "m", n_gens: 1, compositions: 8, matched: 2, match_rate: 0.25, rms_dist: 0.1 }]);
 * ```
 */
export function cspRows(metrics: Record<string, number | null>): CspRow[] {
  const parts = new Map<string, { model: string; k: number; rate?: number; rms?: number | null; n?: number }>();
  for (const [name, value] of Object.entries(metrics)) {
    const m = KEY.exec(name);
    if (!m) continue;
    const id = `${m[1]}\u0000${m[2]}`;
    const p = parts.get(id) ?? { model: m[1], k: Number(m[2]) };
    if (m[3] === "match_rate" && value !== null) p.rate = value;
    else if (m[3] === "rms_dist") p.rms = value;
    else if (m[3] === "n" && value !== null) p.n = value;
    parts.set(id, p);
  }
  const rows: CspRow[] = [];
  for (const p of parts.values()) {
    if (p.rate === undefined || p.n === undefined) continue;
    rows.push({
      model: p.model,
      n_gens: p.k,
      compositions: p.n,
      matched: Math.round(p.rate * p.n),
      match_rate: p.rate,
      rms_dist: p.rms ?? null,
    });
  }
  return rows.sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : a.n_gens - b.n_gens));
}

function fmt(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(4);
  return String(v);
}

/** `summary_csp.csv` text. */
export function cspCsv(rows: CspRow[]): string {
  return stringify([CSP_COLUMNS, ...rows.map((r) => CSP_COLUMNS.map((c) => fmt(r[c])))]);
}

/** The table's cells as text (CSV, Markdown and HTML show the same strings). */
export function cspCells(rows: CspRow[]): string[][] {
  return rows.map((r) => CSP_COLUMNS.map((c) => fmt(r[c])));
}
