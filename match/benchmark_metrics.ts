/**
 * CSP benchmark metrics: match rate and mean RMS distance, as upstream CrystaLLM's
 * `bin/benchmark_metrics.py` (commit 8e81a86; `get_match_rate_and_rms`, adapted
 * there from DiffCSP's `scripts/compute_metrics.py`).
 *
 * For every test ID present among the generated CIFs, the first n generations
 * (`cifs[:n_gens]`) that pass `is_sensible` and parse are kept; each one that is
 * valid (`is_valid`: SMACT charge balance + Pauling test, and no two sites closer
 * than 0.5 Å, volume ≥ 0.1 Å³) is compared with the ground truth by
 * `StructureMatcher(stol=0.5, angle_tol=10, ltol=0.3).get_rms_dist(pred, gt)[0]`.
 * An ID matches when any comparison gives a distance; its RMS is the smallest.
 * `match_rate` = matched IDs / IDs with generations; `rms_dist` = mean over the
 * matched IDs.
 *
 * The ground-truth file is pinned by its SHA-256 in every report: upstream users
 * got different numbers by passing the preprocessed test CIFs (symmetrized,
 * rounded, with the atomic-properties block) instead of the original ones, and
 * a ground truth that looks preprocessed raises a loud warning.
 *
 * Deviation: SMACT 2.5.5 is not installable here (no PyPI access), so its
 * oxidation-state list and metal set are replaced by pymatgen 2022.11.7's
 * `Element.oxidation_states` and `is_metal`, and its Pauling electronegativities
 * by pymatgen's `X`. Choose `validity: "structure"` or `"none"` to drop that check.
 *
 * @example Two test IDs, n = 1
 * ```ts
 * import { benchmarkMetrics } from "./benchmark_metrics.ts";
 * const cif = `data_NaCl
 * _cell_length_a 5.64
 * _cell_length_b 5.64
 * _cell_length_c 5.64
 * _cell_angle_alpha 90
 * _cell_angle_beta 90
 * _cell_angle_gamma 90
 * loop_
 * _symmetry_equiv_pos_as_xyz
 * 'x, y, z'
 * loop_
 * _atom_site_label
 * _atom_site_type_symbol
 * _atom_site_fract_x
 * _atom_site_fract_y
 * _atom_site_fract_z
 * Na1 Na 0 0 0
 * Cl1 Cl 0.5 0.5 0.5
 * `;
 * const report = benchmarkMetrics(
 *   new Map([["a", [cif]], ["b", []]]),
 *   new Map([["a", cif], ["b", cif]]),
 *   { ns: [1] },
 * );
 * if (report.metrics[0].match_rate !== 0.5) throw new Error();
 * ```
 *
 * @module
 */
import { sha256 } from "../core/hash.ts";
import { basename } from "node:path";
import { structureFromCif } from "../cif/from_cif.ts";
import { element } from "../cif/elements.ts";
import type { Structure } from "../cif/structure.ts";
import { spaceGroupOpsForCif } from "../symmetry/cif_fallback.ts";
import { pbcShortestD2 } from "./_lattice_ops.ts";
import { type NamedCif, readCifSet } from "../cif/cif_set.ts";
import {
  BENCHMARK_MATCHER_OPTIONS,
  StructureMatcher,
  type StructureMatcherOptions,
} from "./structure_matcher.ts";

/** Which `is_valid` a generated structure must pass before it is compared. */
export type BenchmarkValidity = "upstream" | "structure" | "none";

/** Options of {@link benchmarkMetrics}. */
export interface BenchmarkMetricsOptions {
  /** Numbers of generations per ID to score. @default {[1, 20]} */
  ns?: number[];
  /** Matcher settings. @default {BENCHMARK_MATCHER_OPTIONS (stol 0.5, ltol 0.3, angle_tol 10)} */
  matcher?: StructureMatcherOptions;
  /**
   * `"upstream"`: SMACT-style composition check (with pymatgen's data) and structure
   * check; `"structure"`: only the 0.5 Å / 0.1 Å³ check; `"none"`. @default {"upstream"}
   */
  validity?: BenchmarkValidity;
  /** `is_sensible` bounds: cell lengths in Å. @default {[0.5, 1000]} */
  lengthBounds?: [number, number];
  /** `is_sensible` bounds: cell angles in degrees. @default {[10, 170]} */
  angleBounds?: [number, number];
}

/** Match rate and RMS at one n. */
export interface MatchMetrics {
  /** Generations per ID considered. */
  n: number;
  /** Matched IDs / IDs with generations (upstream's denominator). */
  match_rate: number;
  /** Mean RMS distance over matched IDs (normalised by (V/n)^(1/3)); null when none matched. */
  rms_dist: number | null;
  /** IDs with generations. */
  n_ids: number;
  /** IDs with a match. */
  n_matched: number;
  /**
   * Sample standard deviation of the matched IDs' RMS distances (ours, not upstream's: it sets
   * the snapshot tolerance of `rms_dist`); null with fewer than two matches.
   */
  rms_dist_sd: number | null;
}

/** The report of {@link benchmarkMetrics}. */
export interface BenchmarkReport {
  /** Where the numbers come from. */
  upstream: string;
  /** The matcher settings. */
  matcher: { ltol: number; stol: number; angle_tol: number; primitive_cell: boolean; scale: boolean };
  validity: BenchmarkValidity;
  metrics: MatchMetrics[];
  /** Per ID: the RMS of every kept generation in order (null: invalid, unparsable or no match). */
  per_id: Record<string, (number | null)[]>;
  /** IDs of the ground truth without generations (upstream ignores them). */
  missing_ids: string[];
  warnings: string[];
  ground_truth?: GroundTruthPin;
}

/** Identity of the ground-truth file that was compared against. */
export interface GroundTruthPin {
  path: string;
  /** SHA-256 of the file's bytes (of `name\tsha256` lines for a directory). */
  sha256: string;
  n_structures: number;
  /** Evidence that the file holds CrystaLLM-preprocessed CIFs; empty when it looks original. */
  preprocessed_evidence: string[];
}

// ---------------------------------------------------------------------------- validity

/** DiffCSP `structure_validity(crystal, cutoff=0.5)`: no two sites closer than 0.5 Å, volume ≥ 0.1 Å³. */
export function structureValidity(s: Structure, cutoff = 0.5): boolean {
  if (s.volume < 0.1) return false;
  const f = s.sites.map((x) => x.frac);
  const d2 = pbcShortestD2(s.lattice.matrix, f, f);
  for (let i = 0; i < f.length; i++) {
    for (let j = 0; j < f.length; j++) if (i !== j && Math.sqrt(d2[i][j]) < cutoff) return false;
  }
  return true;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * DiffCSP/CrystaLLM `smact_validity(atom_types)` with pymatgen's element data in
 * place of SMACT's (see the module note): a single element or an all-metal
 * composition passes; otherwise some combination of oxidation states must be
 * charge neutral for the reduced counts and pass the Pauling electronegativity
 * test (no cation more electronegative than an anion).
 *
 * @param s The structure (ordered sites).
 * @returns Whether the composition passes.
 */
export function smactValidity(s: Structure): boolean {
  const counter = new Map<string, number>();
  for (const site of s.sites) for (const [el] of site.species) counter.set(el, (counter.get(el) ?? 0) + 1);
  const elems = [...counter.keys()].sort();
  let counts = elems.map((e) => counter.get(e)!);
  const g = counts.reduce(gcd);
  counts = counts.map((c) => c / g);
  if (elems.length === 1) return true;
  const data = elems.map((e) => element(e));
  if (data.every((d) => d?.is_metal)) return true;
  const ox = data.map((d) => d?.oxidation_states ?? []);
  const eneg = data.map((d) => d?.X ?? null);
  if (ox.reduce((p, o) => p * o.length, 1) > 1e7) return false;
  const pick = new Array<number>(elems.length).fill(0);
  const rec = (k: number, charge: number): boolean => {
    if (k === elems.length) {
      if (charge !== 0) return false;
      // smact.screening.eneg_states_test; a missing electronegativity raises TypeError upstream,
      // which smact_validity catches and treats as passing
      for (let i = 0; i < k; i++) {
        for (let j = i + 1; j < k; j++) {
          const [o1, o2] = [ox[i][pick[i]], ox[j][pick[j]]];
          if ((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) {
            if (eneg[i] === null || eneg[j] === null) return true;
            if (o1 > 0 && o2 < 0 && eneg[i]! >= eneg[j]!) return false;
            if (o1 < 0 && o2 > 0 && eneg[i]! <= eneg[j]!) return false;
          }
        }
      }
      return true;
    }
    for (let t = 0; t < ox[k].length; t++) {
      pick[k] = t;
      if (rec(k + 1, charge + ox[k][t] * counts[k])) return true;
    }
    return false;
  };
  return rec(0, 0);
}

/** Upstream `is_sensible` (`crystallm/_utils.py`): cell lengths and angles read with its regexes. */
function isSensible(cif: string, [lLo, lHi]: [number, number], [aLo, aHi]: [number, number]): boolean {
  for (const m of cif.matchAll(/_cell_length_[abc]\s+([\d.]+)/g)) {
    const x = Number(m[1]);
    if (Number.isNaN(x)) throw new Error(`could not convert string to float: '${m[1]}'`);
    if (x < lLo || x > lHi) return false;
  }
  for (const m of cif.matchAll(/_cell_angle_(alpha|beta|gamma)\s+([\d.]+)/g)) {
    const x = Number(m[2]);
    if (Number.isNaN(x)) throw new Error(`could not convert string to float: '${m[2]}'`);
    if (x < aLo || x > aHi) return false;
  }
  return true;
}

function parseStructure(cif: string): Structure {
  return structureFromCif(cif, { spaceGroupOps: spaceGroupOpsForCif });
}

// ---------------------------------------------------------------------------- metrics

/**
 * Match rate and mean RMS of generated structures against the ground truth.
 *
 * @param generated Test ID → generated CIF texts, in generation order.
 * @param truth Test ID → ground-truth CIF text.
 * @param options n values, matcher and validity settings.
 * @returns The report (without `ground_truth`; {@link benchmarkMetricsFromFiles} adds it).
 * @throws {Error} When a generated ID has no ground truth (upstream: "could not find ID").
 */
export function benchmarkMetrics(
  generated: Map<string, string[]>,
  truth: Map<string, string>,
  options: BenchmarkMetricsOptions = {},
): BenchmarkReport {
  const {
    ns = [1, 20],
    matcher: mopts = BENCHMARK_MATCHER_OPTIONS,
    validity = "upstream",
    lengthBounds = [0.5, 1000],
    angleBounds = [10, 170],
  } = options;
  const matcher = new StructureMatcher(mopts);
  const maxN = Math.max(...ns);
  const perId: Record<string, (number | null)[]> = {};
  const warnings: string[] = [];
  for (const [id, cifs] of generated) {
    const gtText = truth.get(id);
    if (gtText === undefined) {
      throw new Error(`Cannot score generations: could not find ID ${id} in the ground truth`);
    }
    const gt = parseStructure(gtText);
    const row: (number | null)[] = [];
    for (const cif of cifs.slice(0, maxN)) {
      let pred: Structure;
      try {
        if (!isSensible(cif, lengthBounds, angleBounds)) {
          row.push(null);
          continue;
        }
        pred = parseStructure(cif);
      } catch {
        row.push(null);
        continue;
      }
      try {
        const valid = validity === "none" ||
          (structureValidity(pred) && (validity === "structure" || smactValidity(pred)));
        const rms = valid ? matcher.getRmsDist(pred, gt) : null;
        row.push(rms === null ? null : rms[0]);
      } catch {
        row.push(null); // upstream: `except Exception: pass`
      }
    }
    perId[id] = row;
  }
  // upstream slices `cifs[:n_gens]` before dropping unsensible or unparsable CIFs, as `row.slice(0, n)` does
  const metrics = ns.map((n): MatchMetrics => {
    const best: number[] = [];
    for (const row of Object.values(perId)) {
      const vals = row.slice(0, n).filter((x): x is number => x !== null);
      if (vals.length) best.push(Math.min(...vals));
    }
    const nIds = Object.keys(perId).length;
    const mean = best.length ? best.reduce((a, b) => a + b, 0) / best.length : 0;
    return {
      n,
      match_rate: nIds ? best.length / nIds : 0,
      rms_dist: best.length ? best.reduce((a, b) => a + b, 0) / best.length : null,
      n_ids: nIds,
      n_matched: best.length,
      rms_dist_sd: best.length > 1
        ? Math.sqrt(best.reduce((a, b) => a + (b - mean) ** 2, 0) / (best.length - 1))
        : null,
    };
  });
  const missing = [...truth.keys()].filter((id) => !generated.has(id));
  if (missing.length) {
    warnings.push(
      `${missing.length} ground-truth IDs have no generations; upstream divides by the ${generated.size} generated IDs only`,
    );
  }
  const o = { ...BENCHMARK_MATCHER_OPTIONS, ...mopts };
  return {
    upstream: "CrystaLLM bin/benchmark_metrics.py @ 8e81a86 (get_match_rate_and_rms)",
    matcher: {
      ltol: o.ltol,
      stol: o.stol,
      angle_tol: o.angleTol,
      primitive_cell: o.primitiveCell,
      scale: o.scale,
    },
    validity,
    metrics,
    per_id: perId,
    missing_ids: missing,
    warnings,
  };
}

/**
 * Evidence that ground-truth CIFs went through CrystaLLM's preprocessing rather
 * than being the benchmark's original pymatgen CIFs.
 *
 * @param cifs The ground-truth CIF texts.
 * @returns Human-readable findings; empty when they look original.
 */
export function preprocessedEvidence(cifs: readonly string[]): string[] {
  const out: string[] = [];
  const count = (re: RegExp) => cifs.filter((c) => re.test(c)).length;
  const props = count(/_atom_type_electronegativity/);
  if (props) {
    out.push(`${props}/${cifs.length} CIFs carry the atomic-properties block (_atom_type_electronegativity)`);
  }
  const noHeader = count(/^(?!# generated using pymatgen)/);
  if (noHeader === cifs.length && cifs.length) out.push("no CIF starts with '# generated using pymatgen'");
  // pymatgen writes 8 decimals ("4.05632160"); CrystaLLM's preprocessing rounds every number to 4
  const rounded = count(/^(?![\s\S]*\d\.\d{5,})/);
  if (rounded === cifs.length && cifs.length) {
    out.push("no number has more than 4 decimals (CrystaLLM rounds to 4)");
  }
  return out;
}

/** ID of a generated CIF named `id__n.cif` (upstream `extract_cif_id`), with n for ordering. */
export function generatedCifId(name: string): [string, number] {
  const file = basename(name);
  const cut = file.lastIndexOf("__");
  if (cut < 0) throw new Error(`Cannot read generated CIF name ${file}: expected the format id__n.cif`);
  const n = parseInt(file.slice(cut + 2), 10);
  return [file.slice(0, cut), Number.isNaN(n) ? Infinity : n];
}

/**
 * SHA-256 of a file, or of the sorted `name\tsha256` lines of a directory's CIFs.
 *
 * @param path File or directory.
 * @param cifs The directory's CIFs when `path` is a directory.
 * @returns Hex digest.
 */
export function pinSha256(path: string, cifs: readonly NamedCif[]): string {
  if (Deno.statSync(path).isDirectory) {
    const lines = cifs.map((c) => `${c.name}\t${sha256(c.text)}\n`).sort();
    return sha256(lines.join(""));
  }
  return sha256(Deno.readFileSync(path));
}

/**
 * {@link benchmarkMetrics} on files: generated CIFs named `id__n.cif` (a directory,
 * taken in n order, or upstream's `.tar.gz`, taken in member order), and the
 * ground truth as `id.cif` files (directory or `.tar.gz`) or the benchmark CSV
 * (`material_id, cif`). The report pins the ground truth by SHA-256.
 *
 * @param generatedPath Directory or `.tar.gz` of generated CIFs.
 * @param truthPath Directory, `.tar.gz` or `.csv(.gz)` of ground-truth CIFs.
 * @param options As {@link benchmarkMetrics}, plus `expectSha256` to refuse any other ground truth.
 * @returns The report with `ground_truth` filled in.
 * @throws {Error} When the ground truth's SHA-256 differs from `expectSha256`.
 */
export function benchmarkMetricsFromFiles(
  generatedPath: string,
  truthPath: string,
  options: BenchmarkMetricsOptions & { expectSha256?: string } = {},
): BenchmarkReport {
  const truthCifs = readCifSet(truthPath);
  const sha256 = pinSha256(truthPath, truthCifs);
  if (options.expectSha256 && options.expectSha256.toLowerCase() !== sha256) {
    throw new Error(
      `Cannot score against ${truthPath}: its SHA-256 is ${sha256}, expected ${options.expectSha256}`,
    );
  }
  const truth = new Map(truthCifs.map((c) => [c.name.replace(/\.cif$/i, ""), c.text]));
  const gen = readCifSet(generatedPath).map((c) => ({ ...c, key: generatedCifId(c.name) }));
  if (Deno.statSync(generatedPath).isDirectory) {
    gen.sort((a, b) => a.key[1] - b.key[1] || (a.name < b.name ? -1 : 1));
  }
  const generated = new Map<string, string[]>();
  for (const g of gen) {
    const list = generated.get(g.key[0]) ?? [];
    list.push(g.text);
    generated.set(g.key[0], list);
  }
  const report = benchmarkMetrics(generated, truth, options);
  const evidence = preprocessedEvidence(truthCifs.map((c) => c.text));
  if (evidence.length) {
    report.warnings.unshift(
      `GROUND TRUTH LOOKS PREPROCESSED (${evidence.join("; ")}): upstream's numbers use the original ` +
        `benchmark CIFs; scores against preprocessed CIFs are not comparable`,
    );
  }
  report.ground_truth = {
    path: truthPath,
    sha256,
    n_structures: truthCifs.length,
    preprocessed_evidence: evidence,
  };
  return report;
}

