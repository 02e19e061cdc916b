/**
 * Upstream CrystaLLM's CIF preprocessing (`bin/preprocess.py`, helpers in
 * `crystallm/_utils.py`, commit 8e81a86), step for step and byte for byte:
 *
 * 1. drop CIFs whose `_cell_formula_units_Z` is 0 (`extract_formula_units`);
 * 2. replace the `data_` header with the non-reduced formula of `_chemical_formula_sum`
 *    (`replace_data_formula_with_nonreduced_formula`);
 * 3. semisymmetrize: the symmetry-operator loop becomes the single line `1 'x, y, z'`
 *    (`semisymmetrize_cif`);
 * 4. insert the atomic-properties loop before `_symmetry_space_group_name_H-M`
 *    (`add_atomic_props_block`, with its noble-gas fallbacks);
 * 5. round every decimal number with more than 4 decimals (`round_numbers`).
 *
 * The input is a CIF written by pymatgen's `CifWriter(symprec=0.1)`. Upstream swallows
 * every exception and drops the CIF; here the same CIFs fail, with a
 * {@linkcode PreprocessError} that says why.
 *
 * Python's `.` matches `\r`, JavaScript's does not, so the ports below write `[^\n]`.
 *
 * @module
 */
import { Composition, FormulaError } from "../cif/composition.ts";
import { compareElements, element } from "../cif/elements.ts";
import { pyFloatRepr, pyRound, pySorted, pyToFixed } from "../cif/python_compat.ts";
import { type CifItemValue as CifValue, formatCifBlock } from "../cif/write_cif.ts";

/** Why a CIF was dropped. */
export type PreprocessFailure =
  | "z_zero"
  | "missing_z"
  | "missing_formula_sum"
  | "bad_formula"
  | "unknown_element"
  | "missing_atomic_radius"
  | "missing_space_group";

/** Thrown for a CIF that upstream's preprocessing would drop. */
export class PreprocessError extends Error {
  override name = "PreprocessError";
  /**
   * @param reason Machine-readable reason, counted in manifests.
   * @param message Human-readable detail.
   */
  constructor(readonly reason: PreprocessFailure, message: string) {
    super(message);
  }
}

/** Options for {@linkcode preprocessCif}. */
export interface PreprocessOptions {
  /**
   * Decimal places kept by `round_numbers` (upstream's `--decimal-places`).
   * @default {4}
   */
  decimalPlaces?: number;
  /** File name used in error messages. */
  file?: string;
}

/**
 * Preprocess one CIF as upstream's `bin/preprocess.py` does.
 *
 * @param cif A CIF written by `CifWriter(symprec=0.1)`.
 * @param options Rounding and file name for messages.
 * @returns The preprocessed CIF text.
 * @throws {PreprocessError} When upstream would drop the CIF (Z = 0, no formula, …).
 * @example
 * ```ts
 * import { preprocessCif } from "./preprocess.ts";
 * import assert from "node:assert/strict";
 * const cif = "data_NaCl\n_symmetry_space_group_name_H-M   Fm-3m\n_cell_length_a   5.64020000\n" +
 *   "_chemical_formula_sum   'Na4 Cl4'\n_cell_formula_units_Z   4\n";
 * assert.equal(preprocessCif(cif),
 *   "data_Na4Cl4\nloop_\n _atom_type_symbol\n _atom_type_electronegativity\n _atom_type_radius\n" +
 *   " _atom_type_ionic_radius\n  Na  0.9300  1.8000  1.1600\n  Cl  3.1600  1.0000  0.7800\n" +
 *   "_symmetry_space_group_name_H-M   Fm-3m\n_cell_length_a   5.6402\n" +
 *   "_chemical_formula_sum   'Na4 Cl4'\n_cell_formula_units_Z   4\n");
 * ```
 */
export function preprocessCif(cif: string, options: PreprocessOptions = {}): string {
  const where = options.file ? ` in ${options.file}` : "";
  const z = extractFormulaUnits(cif);
  if (z === undefined) {
    throw new PreprocessError("missing_z", `Cannot preprocess CIF${where}: no _cell_formula_units_Z`);
  }
  // "exclude CIFs with formula units (Z) = 0, which are erroneous"
  if (z === 0) {
    throw new PreprocessError("z_zero", `Cannot preprocess CIF${where}: _cell_formula_units_Z is 0`);
  }
  let s = replaceDataFormulaWithNonreducedFormula(cif, where);
  s = semisymmetrizeCif(s);
  s = addAtomicPropsBlock(s, where);
  return roundNumbers(s, options.decimalPlaces ?? 4);
}

/**
 * `extract_formula_units`: `int()` of the first `_cell_formula_units_Z\s+([.0-9]+)`.
 *
 * @param cif CIF text.
 * @returns Z, or `undefined` when absent or not an integer (Python's `int("2.0")` fails).
 */
export function extractFormulaUnits(cif: string): number | undefined {
  const m = /_cell_formula_units_Z\s+([.0-9]+)/.exec(cif);
  if (!m || !/^[0-9]+$/.test(m[1])) return undefined;
  return Number(m[1]);
}

/**
 * `extract_formula_nonreduced`: the value of `_chemical_formula_sum`, unquoted.
 *
 * @param cif CIF text.
 * @returns The formula, e.g. `"Na4 Cl4"`, or `undefined`.
 */
export function extractFormulaNonreduced(cif: string): string | undefined {
  const m = /_chemical_formula_sum\s+('([^']+)'|(\S+))/.exec(cif);
  if (!m) return undefined;
  return m[2] ? m[2] : m[3];
}

/**
 * `extract_space_group_symbol`: the value of `_symmetry_space_group_name_H-M`, unquoted.
 *
 * @param cif CIF text.
 * @returns The symbol, e.g. `"Fm-3m"`, or `undefined`.
 */
export function extractSpaceGroupSymbol(cif: string): string | undefined {
  const m = /_symmetry_space_group_name_H-M\s+('([^']+)'|(\S+))/.exec(cif);
  if (!m) return undefined;
  return m[2] ? m[2] : m[3];
}

/**
 * `extract_volume`: `float()` of the first `_cell_volume\s+([.0-9]+)`.
 *
 * @param cif CIF text.
 * @returns The cell volume, or `undefined`.
 */
export function extractVolume(cif: string): number | undefined {
  const m = /_cell_volume\s+([.0-9]+)/.exec(cif);
  if (!m || !/^(\d+\.?\d*|\.\d+)$/.test(m[1])) return undefined;
  return Number(m[1]);
}

/** `replace_data_formula_with_nonreduced_formula`. */
function replaceDataFormulaWithNonreducedFormula(cif: string, where: string): string {
  const m = /_chemical_formula_sum\s+([^\n]+)\n/.exec(cif);
  if (!m) {
    throw new PreprocessError(
      "missing_formula_sum",
      `Cannot preprocess CIF${where}: no _chemical_formula_sum`,
    );
  }
  const formula = m[1].replaceAll("'", "").replaceAll(" ", "");
  // upstream builds the template r'\1' + formula + r'\3': a leading digit would make it
  // a reference to a group that does not exist, and a backslash an escape; re.sub raises
  if (/^\d/.test(formula) || formula.includes("\\")) {
    throw new PreprocessError(
      "bad_formula",
      `Cannot preprocess CIF${where}: formula ${formula} breaks the data_ template`,
    );
  }
  return cif.replace(/(data_)([^\n]*?)(\n)/g, (_m, g1: string, _g2: string, g3: string) => g1 + formula + g3);
}

/**
 * `semisymmetrize_cif`: keep only the identity operator `1 'x, y, z'`.
 *
 * @param cif CIF text.
 * @returns The CIF with the operator loop reduced to its first line.
 */
export function semisymmetrizeCif(cif: string): string {
  // r"(_symmetry_equiv_pos_as_xyz\n)(.*?)(?=\n(?:\S| \S))" with re.DOTALL
  return cif.replace(
    /(_symmetry_equiv_pos_as_xyz\n)([\s\S]*?)(?=\n(?:\S| \S))/g,
    (_m, g1: string) => g1 + "  1  'x, y, z'",
  );
}

// get_atomic_props_block's fallbacks for noble gases
const NOBLE_VDW_RADII: Record<string, number> = {
  He: 1.40,
  Ne: 1.54,
  Ar: 1.88,
  Kr: 2.02,
  Xe: 2.16,
  Rn: 2.20,
};
const ALLEN_ELECTRONEGATIVITY: Record<string, number> = { He: 4.16, Ne: 4.79, Ar: 3.24 };

/** `_format(val)`: `f"{float(val): .4f}"` (the leading space is stripped by CifBlock). */
function format4(v: number): string {
  return (Number.isNaN(v) || v < 0 || Object.is(v, -0) ? "" : " ") + pyToFixed(v, 4);
}

/**
 * `get_atomic_props_block(composition, oxi=False)`: the `_atom_type_*` loop.
 *
 * @param comp The composition of `_chemical_formula_sum`.
 * @param where File context for errors.
 * @returns The loop text, without `data_` and without a final newline.
 */
export function atomicPropsBlock(comp: Composition, where = ""): string {
  const els = pySorted(comp.elements, (a, b) => compareElements(a, b) < 0);
  const symbols: string[] = [], xs: string[] = [], radii: string[] = [], ionic: string[] = [];
  for (const el of els) {
    const e = element(el);
    if (!e) {
      // pymatgen parses an unknown symbol as a DummySpecies, which has no atomic_radius:
      // the AttributeError drops the CIF upstream
      throw new PreprocessError("unknown_element", `Cannot preprocess CIF${where}: unknown element ${el}`);
    }
    const x = e.X ?? NaN;
    xs.push(
      Number.isNaN(x) && el in ALLEN_ELECTRONEGATIVITY
        ? pyFloatRepr(ALLEN_ELECTRONEGATIVITY[el])
        : format4(x),
    );
    if (e.atomic_radius == null) {
      // float(None) raises TypeError upstream, which drops the CIF
      if (!(el in NOBLE_VDW_RADII)) {
        throw new PreprocessError(
          "missing_atomic_radius",
          `Cannot preprocess CIF${where}: ${el} has no atomic radius`,
        );
      }
      radii.push(pyFloatRepr(NOBLE_VDW_RADII[el]));
    } else radii.push(format4(e.atomic_radius));
    if (e.average_ionic_radius == null) {
      throw new PreprocessError(
        "missing_atomic_radius",
        `Cannot preprocess CIF${where}: ${el} has no ionic radius`,
      );
    }
    ionic.push(format4(e.average_ionic_radius));
    symbols.push(el);
  }
  const data = new Map<string, CifValue>([
    ["_atom_type_symbol", symbols],
    ["_atom_type_electronegativity", xs],
    ["_atom_type_radius", radii],
    ["_atom_type_ionic_radius", ionic],
  ]);
  const loops = [[
    "_atom_type_symbol",
    "_atom_type_electronegativity",
    "_atom_type_radius",
    "_atom_type_ionic_radius",
  ]];
  return formatCifBlock("", data, loops).replaceAll("data_\n", "");
}

/** `add_atomic_props_block(cif_str, oxi=False)`. */
function addAtomicPropsBlock(cif: string, where: string): string {
  const formula = extractFormulaNonreduced(cif);
  if (formula === undefined) {
    throw new PreprocessError(
      "missing_formula_sum",
      `Cannot preprocess CIF${where}: no _chemical_formula_sum value`,
    );
  }
  let comp: Composition;
  try {
    comp = Composition.parse(formula);
  } catch (e) {
    if (e instanceof FormulaError) {
      throw new PreprocessError(
        "bad_formula",
        `Cannot preprocess CIF${where}: formula ${formula}: ${e.message}`,
      );
    }
    throw e;
  }
  const block = atomicPropsBlock(comp, where);
  const at = cif.indexOf("_symmetry_space_group_name_H-M");
  if (at < 0) {
    throw new PreprocessError(
      "missing_space_group",
      `Cannot preprocess CIF${where}: no _symmetry_space_group_name_H-M`,
    );
  }
  return cif.slice(0, at) + block + "\n" + cif.slice(at);
}

/**
 * `round_numbers`: every `[-+]?\d*\.\d+([eE][-+]?\d+)?` with more than
 * `decimalPlaces` characters after the point becomes `format(round(x, d), ".df")`.
 *
 * @param cif CIF text.
 * @param decimalPlaces Digits to keep.
 * @returns The rounded text.
 * @example
 * ```ts
 * import { roundNumbers } from "./preprocess.ts";
 * import assert from "node:assert/strict";
 * assert.equal(roundNumbers("a 4.27928426 b 90.0 c -0.00000001 d 1.5e-05", 4), "a 4.2793 b 90.0 c -0.0000 d 0.0000");
 * ```
 */
export function roundNumbers(cif: string, decimalPlaces = 4): string {
  return cif.replace(/[-+]?\d*\.\d+(?:[eE][-+]?\d+)?/g, (s) => {
    const frac = s.slice(s.lastIndexOf(".") + 1);
    if (frac.length <= decimalPlaces) return s;
    return pyToFixed(pyRound(Number(s), decimalPlaces), decimalPlaces);
  });
}
