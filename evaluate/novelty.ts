/**
 * Novelty against a training set, as upstream CrystaLLM's `bin/check_valid_unique_novel.py`
 * (lantunes/CrystaLLM, commit 292276d) counts it:
 *
 * 1. the training CIFs are bucketed by cell formula (upstream reads it from the `data_` line,
 *    `Composition(extract_data_formula(cif)).formula`; see `cellFormulaOf`);
 * 2. the valid generated structures are made unique greedily, bucket by cell formula, with
 *    `StructureMatcher(ltol=0.2, stol=0.3, angle_tol=5)` (MatterGen's settings);
 * 3. a unique structure is novel when no training CIF has its cell formula ("novel by
 *    composition"), or when none of those training CIFs, post-processed and parsed, matches it.
 *
 * "Only unique structures can be novel": novelty = n_novel / n_unique_greedy.
 *
 * The training set is a token folder (`train.bin`, read with upstream's vocabulary and cut at
 * `data_` tokens), a folder of CIFs, a `.tar.gz` of them or a benchmark CSV.
 *
 * @module
 */
import { join } from "node:path";
import { readCifSet } from "../cif/cif_set.ts";
import { Composition } from "../cif/composition.ts";
import { structureFromCif } from "../cif/from_cif.ts";
import type { Structure } from "../cif/structure.ts";
import { cifSpans } from "../data/subset.ts";
import { decodeTokenIds } from "../data/token_files.ts";
import { loadTokenizer } from "../data/tokenizer.ts";
import { assertMetaMatchesTokenizer, decodeMetaPkl } from "../data/meta_pkl.ts";
import { StructureMatcher, uniqueStructuresGreedy } from "../match/structure_matcher.ts";
import { postprocessCif } from "../postprocess/postprocess.ts";
import { extractDataFormula } from "./is_formula_consistent.ts";
import type { EvalRow } from "./evaluate.ts";

/** The matcher settings of upstream's novelty script. */
export const NOVELTY_MATCHER = { ltol: 0.2, stol: 0.3, angleTol: 5 } as const;

/** A training set, bucketed by cell formula. */
export interface TrainingSet {
  /** Where it was read from. */
  source: string;
  /** `tokens` (train.bin) or `cifs`. */
  kind: "tokens" | "cifs";
  /** Number of training CIFs. */
  n: number;
  /** Cell formula (pymatgen `Composition.formula`) → CIF texts. */
  byFormula: Map<string, string[]>;
  /** CIFs whose `data_` formula could not be read (they match nothing). */
  n_unreadable: number;
  /**
   * Post-processed, parsed training structures per cell formula, filled on first use and shared
   * by every `novelty` call on this set; `unparsed` counts the CIFs that could not be read.
   */
  parsed?: Map<string, { structures: Structure[]; unparsed: number }>;
}

/** Novelty counts and rate, merged into the set metrics. */
export interface NoveltyMetrics {
  /** novel / unique (upstream's greedy uniques); null without a training set. */
  novelty: number | null;
  /** Training CIFs read. */
  n_train: number | null;
  /** Unique valid structures, upstream's greedy way with {@link NOVELTY_MATCHER}. */
  n_unique_greedy: number | null;
  /** Novel unique structures. */
  n_novel: number | null;
  /** Of those, novel because no training CIF has their cell formula. */
  n_novel_by_composition: number | null;
  /** How novelty was computed, or why it was not. */
  novelty_note: string;
}

/** Upstream strips each line and collapses double spaces before post-processing a training CIF. */
function normalizeTrainingCif(cif: string): string {
  return cif.replace(/^[ \t]+|[ \t]+$/gm, "").replaceAll("  ", " ");
}

const FORMULA_SUM = /^_chemical_formula_sum\s+(?:'([^']*)'|"([^"]*)"|(\S+))\s*$/m;

/**
 * The cell formula of a training CIF: `_chemical_formula_sum` when present (pymatgen writes the
 * cell formula there), else the `data_` line's formula as upstream reads it. In CrystaLLM's
 * preprocessed CIFs both agree; CIFs written by pymatgen outside CrystaLLM name the reduced
 * formula in `data_` (`data_Te` for Te4), which would make every structure "novel by
 * composition".
 */
function cellFormulaOf(cif: string): string | null {
  const m = cif.match(FORMULA_SUM);
  try {
    return Composition.parse(m ? (m[1] ?? m[2] ?? m[3]) : extractDataFormula(cif)).formula;
  } catch {
    return null;
  }
}

/**
 * Read a training set.
 *
 * @param path A token folder (with `train.bin`), a CIF folder, a `.tar.gz` of CIFs or a CSV.
 * @returns The CIFs bucketed by cell formula.
 * @throws {Error} When the path cannot be read (named in the message).
 */
export function loadTrainingSet(path: string): TrainingSet {
  let texts: string[];
  let kind: TrainingSet["kind"] = "cifs";
  let isTokenDir = false;
  try {
    isTokenDir = Deno.statSync(join(path, "train.bin")).isFile;
  } catch {
    isTokenDir = false;
  }
  if (isTokenDir) {
    kind = "tokens";
    const tok = loadTokenizer();
    // the ids mean nothing without the folder's vocabulary: a missing meta.pkl is an error
    let metaBytes: Uint8Array;
    try {
      metaBytes = Deno.readFileSync(join(path, "meta.pkl"));
    } catch (e) {
      throw new Error(`Cannot read ${join(path, "meta.pkl")}: ${(e as Error).message}; a token folder needs its meta.pkl`);
    }
    const meta = decodeMetaPkl(metaBytes, join(path, "meta.pkl"));
    assertMetaMatchesTokenizer(meta, { tokenizer: tok, file: join(path, "meta.pkl") });
    const ids = decodeTokenIds(Deno.readFileSync(join(path, "train.bin")), join(path, "train.bin"));
    const dataId = tok.tokenToId("data_");
    if (dataId === undefined) throw new Error("The vocabulary has no data_ token");
    texts = cifSpans(ids, dataId).map((s) => tok.decode(ids.subarray(s.start, s.end)));
  } else {
    texts = readCifSet(path).map((c) => c.text);
  }
  const byFormula = new Map<string, string[]>();
  let unreadable = 0;
  for (const t of texts) {
    const f = cellFormulaOf(t);
    if (f === null) {
      unreadable++;
      continue;
    }
    const list = byFormula.get(f);
    if (list) list.push(normalizeTrainingCif(t));
    else byFormula.set(f, [normalizeTrainingCif(t)]);
  }
  return { source: path, kind, n: texts.length, byFormula, n_unreadable: unreadable };
}

/**
 * Novelty of the valid generated structures against a training set.
 *
 * @param rows Evaluated rows (validity decides who takes part).
 * @param structures The parsed structure of each row.
 * @param train The training set.
 * @param matcher Matcher for uniqueness and novelty (upstream's settings by default).
 * @returns The counts and rate.
 * @example A structure is not novel against itself
 * ```ts
 * import { Lattice } from "../cif/lattice.ts";
 * import { Structure } from "../cif/structure.ts";
 * import { novelty } from "./novelty.ts";
 * const s = new Structure(Lattice.fromParameters(4.1, 4.1, 4.1, 90, 90, 90), [
 *   { species: [["Cs", 1]], frac: [0, 0, 0] }, { species: [["Cl", 1]], frac: [0.5, 0.5, 0.5] },
 * ]);
 * const cif = "data_CsCl\n_cell_length_a 4.1\n_cell_length_b 4.1\n_cell_length_c 4.1\n" +
 *   "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n_symmetry_space_group_name_H-M 'P 1'\n" +
 *   "loop_\n_atom_site_type_symbol\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n" +
 *   "_atom_site_fract_z\n_atom_site_occupancy\nCs Cs0 0 0 0 1\nCl Cl1 0.5 0.5 0.5 1\n";
 * const train = { source: "x", kind: "cifs" as const, n: 1, n_unreadable: 0, byFormula: new Map([["Cs1 Cl1", [cif]]]) };
 * // deno-lint-ignore no-explicit-any
 * const m = novelty([{ is_valid: true } as any], [s], train);
 * if (m.n_novel !== 0 || m.n_unique_greedy !== 1) throw new Error();
 * ```
 */
export function novelty(
  rows: readonly Pick<EvalRow, "is_valid">[],
  structures: readonly (Structure | null)[],
  train: TrainingSet,
  matcher: StructureMatcher = new StructureMatcher(NOVELTY_MATCHER),
): NoveltyMetrics {
  const valid = structures.filter((s, i): s is Structure => rows[i].is_valid === true && s !== null);
  const unique = uniqueStructuresGreedy(valid, matcher).map((i) => valid[i]);
  const cache = train.parsed ??= new Map();
  const seen = new Set<string>();
  const trainOf = (formula: string): Structure[] => {
    let entry = cache.get(formula);
    if (!entry) {
      entry = { structures: [], unparsed: 0 };
      for (const cif of train.byFormula.get(formula) ?? []) {
        try {
          entry.structures.push(structureFromCif(postprocessCif(cif)));
        } catch {
          // upstream would crash on a training CIF it cannot read; here it matches nothing, counted
          entry.unparsed++;
        }
      }
      cache.set(formula, entry);
    }
    if (!seen.has(formula)) {
      seen.add(formula);
      unparsed += entry.unparsed;
    }
    return entry.structures;
  };
  let novel = 0, byComposition = 0, unparsed = 0;
  for (const s of unique) {
    const f = s.composition.formula;
    if (!train.byFormula.has(f)) {
      novel++;
      byComposition++;
      continue;
    }
    const matched = trainOf(f).some((t) => {
      try {
        return matcher.fit(s, t);
      } catch {
        return false;
      }
    });
    if (!matched) novel++;
  }
  return {
    novelty: unique.length ? novel / unique.length : null,
    n_train: train.n,
    n_unique_greedy: unique.length,
    n_novel: novel,
    n_novel_by_composition: byComposition,
    novelty_note: `against ${train.n} training CIFs (${train.kind}) from ${train.source}` +
      `${train.n_unreadable ? `, ${train.n_unreadable} without a readable formula` : ""}` +
      `${unparsed ? `, ${unparsed} compared ones unparsable (they match nothing)` : ""}; ` +
      "upstream check_valid_unique_novel.py: greedy uniques by cell formula, " +
      "StructureMatcher(ltol=0.2, stol=0.3, angle_tol=5)",
  };
}
