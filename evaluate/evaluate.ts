/**
 * Evaluation of generated CIFs: one row per CIF with upstream CrystaLLM's checks
 * (`crystallm/_utils.py`, commit 8e81a86) and what `bin/evaluate_cifs.py` records, plus the
 * set metrics of a folder (validity, hit rate, uniqueness, diversity).
 *
 * Structure matching (pymatgen's `StructureMatcher`) is not implemented here: pass one as
 * `matcher` to get uniqueness by matching; without it uniqueness is computed by
 * (reduced formula, space group, rounded lattice parameters) and labelled so in the output.
 *
 * @module
 */
import { basename, dirname, extname, join } from "node:path";
import { stringify } from "csv-stringify/sync";
import { Composition } from "../cif/composition.ts";
import { readCifSet } from "../cif/cif_set.ts";
import { loadTrainingSet, novelty, type NoveltyMetrics, type TrainingSet } from "./novelty.ts";
import type { Structure } from "../cif/structure.ts";

export type { Structure };
import { encodeCif } from "../data/tokenizer.ts";
import { extractSpaceGroupSymbol, replaceSymmetryOperators } from "../postprocess/postprocess.ts";
import { errorText, ParsedCif, PyError } from "./_parse.ts";
import { bondLengthReasonablenessScore } from "./bond_length_reasonableness_score.ts";
import { extractDataFormula, isFormulaConsistent } from "./is_formula_consistent.ts";
import { isAtomSiteMultiplicityConsistent } from "./is_atom_site_multiplicity_consistent.ts";
import { detectSpaceGroup, isSpaceGroupConsistent } from "./is_space_group_consistent.ts";
import { isSensible, type SensibleOptions } from "./is_sensible.ts";

/** The CSV columns, in order. */
export const EVAL_COLUMNS = [
  "file",
  "parse_ok",
  "error",
  "n_sites",
  "formula",
  "reduced_formula",
  "volume",
  "implied_volume",
  "sg_number",
  "sg_symbol",
  "is_sensible",
  "formula_consistent",
  "multiplicity_consistent",
  "space_group_consistent",
  "bond_length_score",
  "is_valid",
  "gen_len",
] as const;

/**
 * One row of `eval.csv`. A check that raised (as upstream's would) is `null` and its error is
 * in `error`.
 */
export interface EvalRow {
  /** File name (no folder). */
  file: string;
  /** `Structure.from_str(cif, "cif")` succeeded. */
  parse_ok: boolean;
  /**
   * The parse error, else the errors of checks that raised (`check: Error: text`, `; `-joined),
   * else `""`; each is cut to its first line (upstream's messages often embed the whole CIF).
   */
  error: string;
  /** Number of sites of the parsed structure. */
  n_sites: number | null;
  /** pymatgen `Composition.formula` of the parsed structure (`Na4 Cl4`). */
  formula: string | null;
  /** pymatgen `Composition.reduced_formula` (`NaCl`). */
  reduced_formula: string | null;
  /** Volume of the parsed cell, Å³. */
  volume: number | null;
  /** Upstream's `get_unit_cell_volume` of the `_cell_*` values (`bin/evaluate_cifs.py`'s `implied_vol`). */
  implied_volume: number | null;
  /** Space group found at symprec 0.1. */
  sg_number: number | null;
  /** H-M symbol as pymatgen prints it (`Fm-3m`). */
  sg_symbol: string | null;
  /** Upstream's `is_sensible`. */
  is_sensible: boolean | null;
  /** Upstream's `is_formula_consistent`. */
  formula_consistent: boolean | null;
  /** Upstream's `is_atom_site_multiplicity_consistent`. */
  multiplicity_consistent: boolean | null;
  /** Upstream's `is_space_group_consistent`. */
  space_group_consistent: boolean | null;
  /** Upstream's `bond_length_reasonableness_score`. */
  bond_length_score: number | null;
  /**
   * Counted valid by `bin/evaluate_cifs.py`: sensible, every step of its `eval_cif` succeeds
   * (no exception) and `is_valid(cif, bond_length_acceptability_cutoff=1.0)` is true.
   */
  is_valid: boolean;
  /** Length in tokens (`len(CIFTokenizer().tokenize_cif(cif))`). */
  gen_len: number | null;
}

/** Options for {@link evaluateCif}. */
export interface EvaluateCifOptions extends SensibleOptions {
  /** File name for the row. @default {"<string>"} */
  file?: string;
  /** Smallest bond-length score that counts as valid. @default {1.0} */
  bondLengthAcceptabilityCutoff?: number;
}

/** Upstream's `extract_numeric_property(cif, prop)`: `{prop}\s+([.0-9]+)` then `float()`. */
export function extractNumericProperty(cif: string, prop: string): number {
  const m = new RegExp(`${prop}\\s+([.0-9]+)`).exec(cif);
  if (!m) throw new PyError("Exception", `could not find ${prop} in:\n${cif}`);
  const x = /^(\d+\.?\d*|\.\d+)$/.test(m[1]) ? Number(m[1]) : NaN;
  if (Number.isNaN(x)) throw new PyError("ValueError", `could not convert string to float: '${m[1]}'`);
  return x;
}

/** Upstream's `get_unit_cell_volume(a, b, c, alpha, beta, gamma)`, evaluated in its order. */
export function unitCellVolume(
  a: number,
  b: number,
  c: number,
  alpha: number,
  beta: number,
  gamma: number,
): number {
  const rad = Math.PI / 180; // math.radians
  const ca = Math.cos(alpha * rad), cb = Math.cos(beta * rad), cg = Math.cos(gamma * rad);
  const x = 1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg;
  if (x < 0) throw new PyError("ValueError", "math domain error");
  return a * b * c * Math.sqrt(x);
}

/** `implied_vol` of `bin/evaluate_cifs.py`. */
export function impliedVolume(cif: string): number {
  const p = [
    "_cell_length_a",
    "_cell_length_b",
    "_cell_length_c",
    "_cell_angle_alpha",
    "_cell_angle_beta",
    "_cell_angle_gamma",
  ]
    .map((t) => extractNumericProperty(cif, t));
  return unitCellVolume(p[0], p[1], p[2], p[3], p[4], p[5]);
}

/** An error for the CSV: its first line (upstream's messages often embed the whole CIF), capped. */
function brief(e: unknown): string {
  const line = errorText(e).split("\n")[0];
  return line.length > 200 ? line.slice(0, 199) + "…" : line;
}

function attempt<T>(name: string, errors: string[], f: () => T): T | null {
  try {
    return f();
  } catch (e) {
    errors.push(`${name}: ${brief(e)}`);
    return null;
  }
}

/**
 * Evaluate one CIF: parse fields, the space group at symprec 0.1, each of upstream's checks,
 * validity as `bin/evaluate_cifs.py` counts it, and the token length. Never throws.
 *
 * @param cif CIF text (normally post-processed).
 * @param options File name, `is_sensible` bounds, bond-score cutoff.
 * @returns The row.
 * @example
 * ```ts
 * import { evaluateCif } from "./evaluate.ts";
 * import assert from "node:assert/strict";
 * const row = evaluateCif("garbage", { file: "g.cif" });
 * assert.equal(row.parse_ok, false);
 * assert.equal(row.is_valid, false);
 * ```
 */
export function evaluateCif(cif: string, options: EvaluateCifOptions = {}): EvalRow {
  return evaluateParsed(cif, options).row;
}

/** {@link evaluateCif}, also returning the parsed structure (for set metrics). */
function evaluateParsed(
  cif: string,
  options: EvaluateCifOptions,
): { row: EvalRow; structure: Structure | null; chain: UpstreamChain } {
  const file = options.file ?? "<string>";
  const errors: string[] = [];
  const p = new ParsedCif(cif, file);
  const row: EvalRow = {
    file,
    parse_ok: false,
    error: "",
    n_sites: null,
    formula: null,
    reduced_formula: null,
    volume: null,
    implied_volume: null,
    sg_number: null,
    sg_symbol: null,
    is_sensible: null,
    formula_consistent: null,
    multiplicity_consistent: null,
    space_group_consistent: null,
    bond_length_score: null,
    is_valid: false,
    gen_len: null,
  };
  let structure: Structure | null = null;
  try {
    structure = p.structure;
    row.parse_ok = true;
    const comp = structure.composition;
    row.n_sites = structure.length;
    row.formula = comp.formula;
    row.reduced_formula = comp.reducedFormula;
    row.volume = structure.volume;
  } catch (e) {
    row.error = brief(e);
  }
  if (structure) {
    const sg = attempt(
      "space_group",
      errors,
      () => p.memo("spaceGroup@0.1", () => detectSpaceGroup(structure!, 0.1)),
    );
    if (sg) [row.sg_number, row.sg_symbol] = [sg.number, sg.symbol];
  }
  row.implied_volume = attempt("implied_volume", errors, () => impliedVolume(cif));
  row.is_sensible = attempt("is_sensible", errors, () => isSensible(cif, options));
  row.formula_consistent = attempt("formula_consistent", errors, () => isFormulaConsistent(p));
  row.multiplicity_consistent = attempt(
    "multiplicity_consistent",
    errors,
    () => isAtomSiteMultiplicityConsistent(p),
  );
  row.space_group_consistent = structure
    ? attempt("space_group_consistent", errors, () => isSpaceGroupConsistent(p))
    : null;
  // the bond score needs the whole structure; skip it (as an error) when there is none
  row.bond_length_score = structure
    ? attempt("bond_length_score", errors, () => bondLengthReasonablenessScore(p))
    : null;
  row.gen_len = attempt(
    "gen_len",
    errors,
    () => encodeCif(cif, { kind: "generated" }).ids.length,
  );
  const chain = upstreamChain(cif, row, p, options, errors);
  row.is_valid = chain.is_valid;
  if (row.parse_ok) row.error = errors.join("; ");
  return { row, structure, chain };
}

/**
 * Upstream's `eval_cif` chain for one CIF (see {@link UpstreamChain}).
 *
 * @param cif CIF text (normally post-processed).
 * @param options File name, `is_sensible` bounds, bond-score cutoff.
 * @returns The chain's counters, score and row.
 */
export function evaluateChain(cif: string, options: EvaluateCifOptions = {}): UpstreamChain {
  return evaluateParsed(cif, options).chain;
}

/**
 * What upstream's `bin/evaluate_cifs.py` does with one CIF in `eval_cif`: one chain of steps
 * (`is_sensible`, tokenize, the H-M symbol, `replace_symmetry_operators`, the multiplicity check,
 * the space-group check, the bond-length score, the volumes, the data formula, `is_valid`), where
 * an exception ends the chain, so later counters are not bumped and no row is written.
 */
export interface UpstreamChain {
  /** The multiplicity check was reached and true (upstream's counter was bumped). */
  multiplicity_consistent: boolean;
  /** The space-group check was reached and true. */
  space_group_consistent: boolean;
  /** The bond-length score, when it was reached and appended. */
  bond_length_score: number | null;
  /** The chain got through: upstream writes a row for this CIF. */
  row: boolean;
  /** The row's `is_valid` (false without a row). */
  is_valid: boolean;
  /** The row's `gen_len` (null without a row). */
  gen_len: number | null;
  /** Why the chain stopped (`CIF not sensible`, the exception), or null. */
  error: string | null;
}

/**
 * {@link UpstreamChain} of one CIF; the checks run on the CIF after its own
 * `replace_symmetry_operators`. Results the row already computed on the same text are reused.
 */
function upstreamChain(
  cif: string,
  row: EvalRow,
  p: ParsedCif,
  options: EvaluateCifOptions,
  errors: string[],
): UpstreamChain {
  const chain: UpstreamChain = {
    multiplicity_consistent: false,
    space_group_consistent: false,
    bond_length_score: null,
    row: false,
    is_valid: false,
    gen_len: null,
    error: null,
  };
  const raise = (e: unknown): UpstreamChain => ({ ...chain, error: brief(e) });
  try {
    if (!isSensible(cif, options)) return raise(new PyError("Exception", "CIF not sensible"));
    const genLen = row.gen_len ?? encodeCif(cif, { kind: "generated" }).ids.length;
    const symbol = extractSpaceGroupSymbol(cif);
    const replaced = symbol !== "P 1" ? replaceSymmetryOperators(cif, symbol) : cif;
    // usually a post-processed CIF: nothing to replace, so the cached parse is the same text
    const q = replaced === cif ? p : new ParsedCif(replaced, p.file);
    const same = q === p;
    const rerun = <T>(name: string, f: () => T): T => {
      const v = same ? (row as unknown as Record<string, T | null>)[name] : f();
      if (v === null) throw new PyError("Exception", `${name} raised`);
      return v;
    };
    const multiplicity = rerun("multiplicity_consistent", () => isAtomSiteMultiplicityConsistent(q));
    chain.multiplicity_consistent = multiplicity;
    const sgConsistent = rerun("space_group_consistent", () => isSpaceGroupConsistent(q));
    chain.space_group_consistent = sgConsistent;
    const score = rerun("bond_length_score", () => bondLengthReasonablenessScore(q));
    chain.bond_length_score = score;
    impliedVolume(replaced);
    if (!/_cell_volume\s+[.0-9]+/.test(replaced)) {
      // pymatgen's checks need no volume, but evaluate_cifs.py reads it and drops the CIF
      errors.push(
        "is_valid: no _cell_volume, so bin/evaluate_cifs.py drops this CIF (not counted valid; " +
          "upstream's is_valid checks alone need no volume)",
      );
    }
    extractNumericProperty(replaced, "_cell_volume");
    extractDataFormula(replaced);
    // is_valid(cif): formula, multiplicity, bond score, space group, in that order
    const formula = rerun("formula_consistent", () => isFormulaConsistent(q));
    const valid = formula && multiplicity && score >= (options.bondLengthAcceptabilityCutoff ?? 1.0) &&
      sgConsistent;
    return { ...chain, row: true, is_valid: valid, gen_len: genLen };
  } catch (e) {
    return raise(e);
  }
}

/** The summary `bin/evaluate_cifs.py` prints, over every CIF given (chain semantics). */
export interface UpstreamSummary {
  /** CIFs evaluated. */
  n: number;
  /** Space group consistent (counted before any exception). */
  space_group_consistent: number;
  /** Atom-site multiplicity consistent (counted before any exception). */
  multiplicity_consistent: number;
  /** Mean and population standard deviation (`np.mean`, `np.std`) of the appended bond scores. */
  bond_length_score_mean: number | null;
  bond_length_score_std: number | null;
  /** Bond scores appended. */
  n_bond_length_score: number;
  /** Bond scores equal to 1 ("bond lengths reasonable"). */
  bonds_reasonable: number;
  /** Rows with `is_valid`. */
  valid: number;
  /** Mean and population standard deviation of the valid rows' `gen_len`. */
  valid_gen_len_mean: number | null;
  valid_gen_len_std: number | null;
  /** The longest valid row's `gen_len` ("longest valid generated length"). */
  valid_gen_len_max: number | null;
}

function meanStd(xs: number[]): [number | null, number | null] {
  if (!xs.length) return [null, null];
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return [m, Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length)];
}

/**
 * Upstream's summary over chains.
 *
 * @param chains One {@link UpstreamChain} per CIF.
 * @returns The counts and averages `bin/evaluate_cifs.py` prints.
 */
export function upstreamSummary(chains: UpstreamChain[]): UpstreamSummary {
  const scores = chains.map((c) => c.bond_length_score).filter((x): x is number => x !== null);
  const validLens = chains.filter((c) => c.row && c.is_valid).map((c) => c.gen_len!);
  const [sm, ss] = meanStd(scores);
  const [lm, ls] = meanStd(validLens);
  return {
    n: chains.length,
    space_group_consistent: chains.filter((c) => c.space_group_consistent).length,
    multiplicity_consistent: chains.filter((c) => c.multiplicity_consistent).length,
    bond_length_score_mean: sm,
    bond_length_score_std: ss,
    n_bond_length_score: scores.length,
    bonds_reasonable: scores.filter((x) => x === 1).length,
    valid: validLens.length,
    valid_gen_len_mean: lm,
    valid_gen_len_std: ls,
    valid_gen_len_max: validLens.length ? Math.max(...validLens) : null,
  };
}

/** Groups structures that are the same crystal; see {@link EvaluateOptions.matcher}. */
export type StructureMatcherFn = (a: Structure, b: Structure) => boolean;

/** Options for {@link evaluate}. */
export interface EvaluateOptions extends SensibleOptions {
  /** The prompt's formula; the hit rate compares reduced formulas with it. */
  prompt?: string;
  /**
   * Structure matcher for uniqueness (pymatgen `StructureMatcher().fit`-like). Structures are
   * bucketed by reduced formula and space group first, then matched pairwise within a bucket.
   * Without it uniqueness uses (reduced formula, space group, rounded lattice parameters).
   */
  matcher?: StructureMatcherFn;
  /**
   * Training set for novelty: a token folder (train.bin), a CIF folder, a `.tar.gz` or a CSV,
   * or a set already read with `loadTrainingSet` (callers evaluating many folders read it once).
   */
  train?: string | TrainingSet;
  /**
   * The raw generated CIFs (a folder or a `.tar.gz`) that {@link EvalMetrics.upstream_evaluate_cifs}
   * is counted over. Upstream runs `bin/evaluate_cifs.py` on the model's raw output, before
   * post-processing, so its figures come from these; without it they come from the evaluated files.
   */
  upstreamFrom?: string;
  /** Called after each file. */
  onProgress?: (done: number, total: number) => void;
}

/** Set metrics of a folder; every rate comes with the counts behind it (novelty fields from {@link NoveltyMetrics}). */
export interface EvalMetrics extends NoveltyMetrics {
  /** CIF files evaluated. */
  n_files: number;
  /** Files that parse to a structure. */
  n_parsed: number;
  /** Files with `is_sensible` true. */
  n_sensible: number;
  /** Files counted valid (see {@link EvalRow.is_valid}). */
  n_valid: number;
  /** n_valid / n_files. */
  validity: number;
  /** The prompt as given. */
  prompt: string | null;
  /** Its reduced formula. */
  prompt_reduced_formula: string | null;
  /** Parsed structures whose reduced formula equals the prompt's. */
  n_hit: number;
  /** n_hit / n_files (null without a prompt). */
  hit_rate: number | null;
  /** Valid files among the hits. */
  n_hit_valid: number;
  /** How uniqueness was decided. */
  uniqueness_method: string;
  /** Unique structures among the valid ones. */
  n_unique_valid: number;
  /** n_unique_valid / n_valid. */
  uniqueness: number | null;
  /** Distinct reduced formulas among parsed / valid structures. */
  n_distinct_reduced_formulas: number;
  /** Distinct reduced formulas among valid structures. */
  n_distinct_reduced_formulas_valid: number;
  /** Distinct space groups (found at symprec 0.1) among parsed / valid structures. */
  n_distinct_space_groups: number;
  /** Distinct space groups among valid structures. */
  n_distinct_space_groups_valid: number;
  /** Mean bond-length score over CIFs that have one, and how many. */
  mean_bond_length_score: number | null;
  /** CIFs that have a bond score. */
  n_bond_length_score: number;
  /**
   * What upstream's `bin/evaluate_cifs.py` prints, with its chain semantics (set by
   * {@link evaluate}), over the raw CIFs of {@link EvaluateOptions.upstreamFrom} or the evaluated ones.
   */
  upstream_evaluate_cifs?: UpstreamSummary;
  /** Which files {@link upstream_evaluate_cifs} counts: `raw` (upstreamFrom) or `evaluated`. */
  upstream_evaluate_cifs_over?: "raw" | "evaluated";
}

/** What {@link evaluate} returns. */
export interface EvaluateResult {
  /** One row per file, sorted by name. */
  rows: EvalRow[];
  /** Set metrics. */
  metrics: EvalMetrics;
}

function latticeKey(s: Structure): string {
  const abc = s.lattice.abc.map((x) => x.toFixed(2));
  const ang = s.lattice.angles.map((x) => x.toFixed(1));
  return [...abc, ...ang].join(",");
}

/**
 * Set metrics over evaluated rows.
 *
 * @param rows Rows from {@link evaluateCif}.
 * @param structures The parsed structure of each row (`null` where parsing failed).
 * @param options Prompt and matcher.
 * @returns The metrics.
 * @throws {Error} When the prompt is not a formula.
 */
export function setMetrics(
  rows: EvalRow[],
  structures: (Structure | null)[],
  options: EvaluateOptions = {},
): EvalMetrics {
  const n = rows.length;
  const valid = rows.map((r, i) => ({ r, s: structures[i] })).filter((x) => x.r.is_valid && x.s);
  const promptRf = options.prompt ? Composition.parse(options.prompt).reducedFormula : null;
  const hits = promptRf ? rows.filter((r) => r.reduced_formula === promptRf) : [];
  // uniqueness: bucket by (reduced formula, space group), then match within the bucket
  const buckets = new Map<string, Structure[][]>();
  for (const { r, s } of valid) {
    const key = `${r.reduced_formula}|${r.sg_number}`;
    const groups = buckets.get(key) ?? [];
    if (options.matcher) {
      const g = groups.find((grp) => options.matcher!(grp[0], s!));
      if (g) g.push(s!);
      else groups.push([s!]);
    } else {
      const lk = latticeKey(s!);
      const g = groups.find((grp) => latticeKey(grp[0]) === lk);
      if (g) g.push(s!);
      else groups.push([s!]);
    }
    buckets.set(key, groups);
  }
  const nUnique = [...buckets.values()].reduce((t, g) => t + g.length, 0);
  const parsed = rows.filter((r) => r.parse_ok);
  const vrows = valid.map((x) => x.r);
  const scores = rows.map((r) => r.bond_length_score).filter((x): x is number => x !== null);
  const distinct = <T>(xs: T[]) => new Set(xs.filter((x) => x !== null)).size;
  return {
    n_files: n,
    n_parsed: parsed.length,
    n_sensible: rows.filter((r) => r.is_sensible === true).length,
    n_valid: vrows.length,
    validity: n ? vrows.length / n : 0,
    prompt: options.prompt ?? null,
    prompt_reduced_formula: promptRf,
    n_hit: hits.length,
    hit_rate: promptRf ? (n ? hits.length / n : 0) : null,
    n_hit_valid: hits.filter((r) => r.is_valid).length,
    uniqueness_method: options.matcher
      ? "structure matcher within (reduced formula, space group) buckets"
      : "approximate: (reduced formula, space group, lattice a,b,c to 0.01 Å and angles to 0.1°); no structure matcher given",
    n_unique_valid: nUnique,
    uniqueness: vrows.length ? nUnique / vrows.length : null,
    n_distinct_reduced_formulas: distinct(parsed.map((r) => r.reduced_formula)),
    n_distinct_reduced_formulas_valid: distinct(vrows.map((r) => r.reduced_formula)),
    n_distinct_space_groups: distinct(parsed.map((r) => r.sg_symbol)),
    n_distinct_space_groups_valid: distinct(vrows.map((r) => r.sg_symbol)),
    novelty: null,
    n_train: null,
    n_unique_greedy: null,
    n_novel: null,
    n_novel_by_composition: null,
    novelty_note: "no --train given",
    mean_bond_length_score: scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : null,
    n_bond_length_score: scores.length,
  };
}

/**
 * Evaluate every `*.cif` in a folder.
 *
 * @param dir Folder of (post-processed) CIFs.
 * @param options Prompt, matcher, training set, `is_sensible` bounds, progress callback.
 * @returns One row per file (sorted by name) and the set metrics.
 * @throws {Error} When the folder does not exist or the prompt is not a formula.
 * @example
 * ```ts
 * import { evaluate } from "./evaluate.ts";
 * import assert from "node:assert/strict";
 * const dir = Deno.makeTempDirSync();
 * Deno.writeTextFileSync(`${dir}/bad.cif`, "data_X\n");
 * const { rows, metrics } = evaluate(dir);
 * assert.equal(rows.length, 1);
 * assert.equal(metrics.n_valid, 0);
 * ```
 */
export function evaluate(dir: string, options: EvaluateOptions = {}): EvaluateResult {
  const files = readCifSet(dir);
  const rows: EvalRow[] = [];
  const structures: (Structure | null)[] = [];
  const chains: UpstreamChain[] = [];
  files.forEach(({ name, text }, i) => {
    const { row, structure, chain } = evaluateParsed(text, { ...options, file: name });
    rows.push(row);
    structures.push(structure);
    chains.push(chain);
    options.onProgress?.(i + 1, files.length);
  });
  const metrics = setMetrics(rows, structures, options);
  metrics.upstream_evaluate_cifs = upstreamSummary(
    options.upstreamFrom ? evaluateUpstream(options.upstreamFrom, options) : chains,
  );
  metrics.upstream_evaluate_cifs_over = options.upstreamFrom ? "raw" : "evaluated";
  if (options.train) {
    const train = typeof options.train === "string" ? loadTrainingSet(options.train) : options.train;
    Object.assign(metrics, novelty(rows, structures, train));
  }
  return { rows, metrics };
}

/**
 * Upstream's `eval_cif` chain over every `*.cif` of a folder or `.tar.gz` (sorted by name).
 *
 * @param path Raw generated CIFs, as `bin/evaluate_cifs.py` is given them.
 * @param options `is_sensible` bounds and bond-score cutoff.
 * @returns One chain per file; {@link upstreamSummary} gives the printed figures.
 */
export function evaluateUpstream(path: string, options: EvaluateCifOptions = {}): UpstreamChain[] {
  return readCifSet(path).map(({ name, text }) => evaluateChain(text, { ...options, file: name }));
}

/**
 * The CSV text of rows, columns {@link EVAL_COLUMNS} in order.
 *
 * @param rows Rows.
 * @returns CSV with a header line.
 */
export function rowsToCsv(rows: EvalRow[]): string {
  return stringify(rows.map((r) => EVAL_COLUMNS.map((c) => r[c] === null ? "" : String(r[c]))), {
    header: true,
    columns: [...EVAL_COLUMNS],
  });
}

/**
 * Where the metrics JSON goes: beside the CSV, `<name>.metrics.json`.
 *
 * @param csvPath The CSV path.
 * @returns The JSON path.
 */
export function metricsPathFor(csvPath: string): string {
  return join(dirname(csvPath), basename(csvPath, extname(csvPath)) + ".metrics.json");
}
