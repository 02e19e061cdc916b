/**
 * Per-model × per-prompt summary tables with macro averages, as the seed's
 * `summary.csv` / `summary.md` (column names kept where the seed has them:
 * `validity_mean`, `uniqueness_mean`, `formula_unique_mean`, `sg_unique_mean`).
 *
 * Definitions (counts are always kept beside the rates):
 * - `validity` = n_valid / n, where valid is CrystaLLM's `is_valid`;
 * - `parse_rate` = n_parse_ok / n (the seed's Demo6 used parse_ok as "validity");
 * - `hit_rate` = valid samples whose reduced formula equals the prompt's / n_valid
 *   (the seed's "NaCl 195/196");
 * - `uniqueness` = distinct structures among valid samples / n (the seed's
 *   "uniqueness(valid): 4 / 10"); distinct by structure matching when a matcher
 *   grouped them, else by (reduced formula, space group);
 * - `formula_unique`, `sg_unique` = distinct reduced formulas / space groups among
 *   parsed samples.
 *
 * @module
 */
import { stringify } from "csv-stringify/sync";
import type { UpstreamSummary } from "../evaluate/evaluate.ts";
import { CSP_COLUMNS, cspCells, type CspRow } from "./csp.ts";

/** The per-CIF fields summaries need (a subset of `crystallm evaluate`'s CSV). */
export interface EvalRecord {
  file: string;
  parse_ok: boolean;
  reduced_formula: string | null;
  sg_number: number | null;
  sg_symbol?: string | null;
  is_valid: boolean;
}

/** One model × prompt cell to summarize. */
export interface SummaryInput {
  model: string;
  prompt: string;
  /** Reduced formula the prompt asks for (e.g. `NaCl` for `data_Na2Cl2`), if any. */
  prompt_formula?: string | null;
  /** Extra grouping key (e.g. temperature) shown as its own column. */
  temperature?: number | null;
  rows: EvalRecord[];
  /** Groups of equivalent valid structures (file names) from a structure matcher, when available. */
  unique_groups?: string[][];
  /** Distinct valid structures as counted by the evaluation stage (overrides the fallback). */
  n_unique?: number;
  /** How the evaluation stage decided uniqueness. */
  uniqueness_method?: string;
  /** Upstream's `bin/evaluate_cifs.py` summary of the same CIFs (chain semantics), when evaluated. */
  upstream?: UpstreamSummary | null;
}

/** One row of `summary.csv`. */
export interface SummaryRow {
  model: string;
  prompt: string;
  temperature: number | null;
  n: number;
  n_parse_ok: number;
  parse_rate: number;
  n_valid: number;
  validity: number;
  hits: number;
  hit_rate: number | null;
  n_unique: number;
  uniqueness: number;
  uniqueness_method: string;
  formula_unique: number;
  sg_unique: number;
  /** Upstream's `bin/evaluate_cifs.py` counts (one chain per CIF; see `UpstreamSummary`), null when not evaluated. */
  upstream_sg_consistent: number | null;
  upstream_multiplicity_consistent: number | null;
  upstream_bond_score_mean: number | null;
  upstream_bond_score_std: number | null;
  upstream_bonds_reasonable: number | null;
  upstream_valid: number | null;
  upstream_valid_gen_len_mean: number | null;
  upstream_valid_gen_len_std: number | null;
}

/** One macro-average row (mean over prompts) per model (and temperature). */
export interface MacroRow {
  model: string;
  temperature: number | null;
  prompts: number;
  validity_mean: number;
  uniqueness_mean: number;
  formula_unique_mean: number;
  sg_unique_mean: number;
  hit_rate_mean: number | null;
  /**
   * Mean parse rate: what the seed's write-up calls validity ("`parse_ok` from CIF parsing"),
   * beside the pymatgen-grade `validity_mean`, so that both can be compared with the seed.
   */
  parse_rate_mean: number;
}

/** A whole summary. */
export interface Summary {
  rows: SummaryRow[];
  macro: MacroRow[];
}

/**
 * Summarize one model × prompt cell.
 *
 * @param input The evaluated samples of the cell.
 * @returns The cell's row.
 * @example Two valid NaCl samples, one garbage
 * ```ts
 * import { summarizeCell } from "./summarize.ts";
 * const r = summarizeCell({ model: "m", prompt: "data_Na2Cl2", prompt_formula: "NaCl", rows: [
 *   { file: "a", parse_ok: true, reduced_formula: "NaCl", sg_number: 225, is_valid: true },
 *   { file: "b", parse_ok: true, reduced_formula: "NaCl", sg_number: 221, is_valid: true },
 *   { file: "c", parse_ok: false, reduced_formula: null, sg_number: null, is_valid: false },
 * ] });
 * if (r.n_valid !== 2 || r.hits !== 2 || r.sg_unique !== 2) throw new Error();
 * ```
 */
export function summarizeCell(input: SummaryInput): SummaryRow {
  const rows = input.rows;
  const n = rows.length;
  const parsed = rows.filter((r) => r.parse_ok);
  const valid = rows.filter((r) => r.is_valid);
  const hits = input.prompt_formula ? valid.filter((r) => r.reduced_formula === input.prompt_formula).length : 0;
  let nUnique: number;
  let method: SummaryRow["uniqueness_method"];
  if (input.n_unique !== undefined) {
    nUnique = input.n_unique;
    method = input.uniqueness_method ?? "evaluate";
  } else if (input.unique_groups) {
    const validFiles = new Set(valid.map((r) => r.file));
    nUnique = input.unique_groups.filter((g) => g.some((f) => validFiles.has(f))).length;
    method = "structure_matcher";
  } else {
    nUnique = new Set(valid.map((r) => `${r.reduced_formula}|${r.sg_number}`)).size;
    method = "formula_spacegroup";
  }
  const distinct = (xs: (string | number | null)[]) => new Set(xs.filter((x) => x !== null && x !== undefined)).size;
  return {
    model: input.model,
    prompt: input.prompt,
    temperature: input.temperature ?? null,
    n,
    n_parse_ok: parsed.length,
    parse_rate: n ? parsed.length / n : 0,
    n_valid: valid.length,
    validity: n ? valid.length / n : 0,
    hits,
    hit_rate: input.prompt_formula ? (valid.length ? hits / valid.length : 0) : null,
    n_unique: nUnique,
    uniqueness: n ? nUnique / n : 0,
    uniqueness_method: method,
    formula_unique: distinct(parsed.map((r) => r.reduced_formula)),
    sg_unique: distinct(parsed.map((r) => r.sg_number)),
    upstream_sg_consistent: input.upstream?.space_group_consistent ?? null,
    upstream_multiplicity_consistent: input.upstream?.multiplicity_consistent ?? null,
    upstream_bond_score_mean: input.upstream?.bond_length_score_mean ?? null,
    upstream_bond_score_std: input.upstream?.bond_length_score_std ?? null,
    upstream_bonds_reasonable: input.upstream?.bonds_reasonable ?? null,
    upstream_valid: input.upstream?.valid ?? null,
    upstream_valid_gen_len_mean: input.upstream?.valid_gen_len_mean ?? null,
    upstream_valid_gen_len_std: input.upstream?.valid_gen_len_std ?? null,
  };
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

/**
 * Summarize every cell and add macro averages per model (and temperature).
 *
 * @param inputs One entry per model × prompt (× temperature).
 * @returns Rows in input order and macro rows in first-seen order.
 */
export function summarize(inputs: SummaryInput[]): Summary {
  const rows = inputs.map(summarizeCell);
  const groups = new Map<string, SummaryRow[]>();
  for (const r of rows) {
    const key = JSON.stringify([r.model, r.temperature]);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(r);
  }
  const macro: MacroRow[] = [...groups.values()].map((g) => {
    const hitRates = g.map((r) => r.hit_rate).filter((h): h is number => h !== null);
    return {
      model: g[0].model,
      temperature: g[0].temperature,
      prompts: g.length,
      validity_mean: mean(g.map((r) => r.validity)),
      uniqueness_mean: mean(g.map((r) => r.uniqueness)),
      formula_unique_mean: mean(g.map((r) => r.formula_unique)),
      sg_unique_mean: mean(g.map((r) => r.sg_unique)),
      hit_rate_mean: hitRates.length ? mean(hitRates) : null,
      parse_rate_mean: mean(g.map((r) => r.parse_rate)),
    };
  });
  return { rows, macro };
}

/** Column order of `summary.csv`. */
export const SUMMARY_COLUMNS: (keyof SummaryRow)[] = [
  "model",
  "prompt",
  "temperature",
  "n",
  "n_parse_ok",
  "parse_rate",
  "n_valid",
  "validity",
  "hits",
  "hit_rate",
  "n_unique",
  "uniqueness",
  "uniqueness_method",
  "formula_unique",
  "sg_unique",
  "upstream_sg_consistent",
  "upstream_multiplicity_consistent",
  "upstream_bond_score_mean",
  "upstream_bond_score_std",
  "upstream_bonds_reasonable",
  "upstream_valid",
  "upstream_valid_gen_len_mean",
  "upstream_valid_gen_len_std",
];

/** Column order of the macro table (`summary_macro.csv`). */
export const MACRO_COLUMNS: (keyof MacroRow)[] = [
  "model",
  "temperature",
  "prompts",
  "validity_mean",
  "uniqueness_mean",
  "formula_unique_mean",
  "sg_unique_mean",
  "hit_rate_mean",
  "parse_rate_mean",
];

function fmt(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(4);
  return String(v);
}

/** `summary.csv` text (rows), rates with 4 decimals. */
export function summaryCsv(summary: Summary): string {
  return stringify([SUMMARY_COLUMNS, ...summary.rows.map((r) => SUMMARY_COLUMNS.map((c) => fmt(r[c])))]);
}

/** `summary_macro.csv` text. */
export function macroCsv(summary: Summary): string {
  return stringify([MACRO_COLUMNS, ...summary.macro.map((r) => MACRO_COLUMNS.map((c) => fmt(r[c])))]);
}

function mdTable(cols: string[], rows: string[][]): string {
  const esc = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", "\\n");
  return [
    `| ${cols.join(" | ")} |`,
    `| ${cols.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
}

/**
 * `summary.md`: the per-cell table and the macro table, and the CSP benchmark's table when the
 * experiment has one (an experiment with only a benchmark shows only that).
 *
 * @param summary The summary.
 * @param title Heading (the experiment name).
 * @param csp The CSP benchmark's rows (summarize/csp.ts), if any.
 * @returns Markdown text.
 */
export function summaryMarkdown(summary: Summary, title: string, csp: CspRow[] = []): string {
  const parts = [`# ${title}`, ""];
  if (summary.rows.length || !csp.length) {
    parts.push(
      "## Per model × prompt",
      "",
      mdTable(SUMMARY_COLUMNS, summary.rows.map((r) => SUMMARY_COLUMNS.map((c) => fmt(r[c])))),
      "",
      "## Macro averages over prompts",
      "",
      mdTable(MACRO_COLUMNS, summary.macro.map((r) => MACRO_COLUMNS.map((c) => fmt(r[c])))),
      "",
    );
  }
  if (csp.length) {
    parts.push(
      "## CSP benchmark (match rate and mean RMS distance over the first n_gens generations per composition)",
      "",
      mdTable(CSP_COLUMNS, cspCells(csp)),
      "",
    );
  }
  return parts.join("\n");
}
