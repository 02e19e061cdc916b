/**
 * CIF text in the exact layout of pymatgen's `CifWriter` (2022.11.7).
 *
 * Upstream CrystaLLM trains on `CifWriter` output, so byte layout matters: the
 * `# generated using pymatgen` comment, three-space key/value separation, the
 * quoting rules of `CifBlock._format_field` and the 70-column loop wrapping of
 * `CifBlock._loop_to_string` are reproduced here.
 *
 * @module
 */
import type { Composition } from "./composition.ts";
import type { Lattice } from "./lattice.ts";
import { pyFloatRepr, pySorted, pyToFixed } from "./python_compat.ts";
import type { Structure } from "./structure.ts";
import { compareElements } from "./elements.ts";

/** pymatgen `CifBlock.maxlen`. */
const MAXLEN = 70;

/** A CIF data item: a scalar or a loop column. */
export type CifItemValue = string | string[];

/** pymatgen `CifBlock._format_field`. */
export function formatField(value: string): string {
  let v = value.trim();
  if (v.length > MAXLEN) return ";\n" + textwrapFill(v, MAXLEN) + "\n;";
  if (v === "") return '""';
  if (
    (v.includes(" ") || v[0] === "_") && !(v[0] === "'" && v[v.length - 1] === "'") &&
    !(v[0] === '"' && v[v.length - 1] === '"')
  ) {
    const q = v.includes("'") ? '"' : "'";
    v = q + v + q;
  }
  return v;
}

/** Minimal `textwrap.fill` (break on whitespace, width `w`). */
function textwrapFill(text: string, w: number): string {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let cur = "";
  for (const word of words) {
    if (cur && cur.length + 1 + word.length > w) {
      lines.push(cur);
      cur = word;
    } else cur = cur ? cur + " " + word : word;
  }
  if (cur) lines.push(cur);
  return lines.join("\n");
}

/**
 * pymatgen `str(CifBlock)`: `data_<header>`, then items in insertion order, each
 * loop written where its first key appears.
 *
 * @param header Block name (cut to 74 characters as pymatgen does).
 * @param data Items in order; loop columns are arrays.
 * @param loops Groups of keys written as loops.
 * @returns The block text without a trailing newline.
 */
export function formatCifBlock(header: string, data: Map<string, CifItemValue>, loops: string[][]): string {
  const out = [`data_${header.slice(0, 74)}`];
  const written = new Set<string>();
  for (const k of data.keys()) {
    if (written.has(k)) continue;
    const loop = loops.find((l) => l.includes(k));
    if (loop) {
      out.push(loopToString(loop, data));
      for (const key of loop) written.add(key);
      continue;
    }
    const v = formatField(String(data.get(k)));
    if (k.length + v.length + 3 < MAXLEN) out.push(`${k}   ${v}`);
    else out.push(k, v);
  }
  return out.join("\n");
}

function loopToString(loop: string[], data: Map<string, CifItemValue>): string {
  let s = "loop_";
  for (const l of loop) s += "\n " + l;
  const cols = loop.map((k) => data.get(k) as string[]);
  const n = Math.min(...cols.map((c) => c.length));
  for (let i = 0; i < n; i++) {
    let line = "\n";
    for (const raw of cols.map((c) => c[i])) {
      const val = formatField(raw);
      if (val[0] === ";") {
        s += line + "\n" + val;
        line = "\n";
      } else if (line.length + val.length + 2 < MAXLEN) line += "  " + val;
      else {
        s += line;
        line = "\n  " + val;
      }
    }
    s += line;
  }
  return s;
}

/** One row of the `_atom_site_*` loop. */
export interface AtomSiteRow {
  typeSymbol: string;
  label: string;
  multiplicity: number;
  frac: [number, number, number];
  /** Occupancy as pymatgen prints it (`str(occu)`), e.g. `"1.0"`. */
  occupancy: string;
}

/** Everything `CifWriter` writes, computed by the caller (P1 here, symmetrized in `symmetry/`). */
export interface CifWriterInput {
  lattice: Lattice;
  composition: Composition;
  sgSymbol: string;
  sgNumber: number;
  /** Operators as `SymmOp.as_xyz_string()`. */
  ops: string[];
  sites: AtomSiteRow[];
  /** Digits after the point (`significant_figures`), default 8. */
  digits?: number;
}

/**
 * Render a `CifWriter` file (with its leading comment and final newline).
 *
 * @param input The cell, symmetry and site rows.
 * @returns The CIF text.
 */
export function renderCifWriter(input: CifWriterInput): string {
  const d = input.digits ?? 8;
  const f = (x: number) => pyToFixed(x, d);
  const [a, b, c] = input.lattice.abc;
  const [al, be, ga] = input.lattice.angles;
  const comp = input.composition;
  const data = new Map<string, CifItemValue>([
    ["_symmetry_space_group_name_H-M", input.sgSymbol],
    ["_cell_length_a", f(a)],
    ["_cell_length_b", f(b)],
    ["_cell_length_c", f(c)],
    ["_cell_angle_alpha", f(al)],
    ["_cell_angle_beta", f(be)],
    ["_cell_angle_gamma", f(ga)],
    ["_symmetry_Int_Tables_number", String(input.sgNumber)],
    ["_chemical_formula_structural", comp.reducedFormula],
    ["_chemical_formula_sum", comp.formula],
    ["_cell_volume", f(input.lattice.volume)],
    ["_cell_formula_units_Z", String(Math.trunc(comp.reducedFormulaAndFactor()[1]))],
    ["_symmetry_equiv_pos_site_id", input.ops.map((_, i) => String(i + 1))],
    ["_symmetry_equiv_pos_as_xyz", input.ops],
    ["_atom_site_type_symbol", input.sites.map((s) => s.typeSymbol)],
    ["_atom_site_label", input.sites.map((s) => s.label)],
    ["_atom_site_symmetry_multiplicity", input.sites.map((s) => String(s.multiplicity))],
    ["_atom_site_fract_x", input.sites.map((s) => f(s.frac[0]))],
    ["_atom_site_fract_y", input.sites.map((s) => f(s.frac[1]))],
    ["_atom_site_fract_z", input.sites.map((s) => f(s.frac[2]))],
    ["_atom_site_occupancy", input.sites.map((s) => s.occupancy)],
  ]);
  const loops = [
    ["_symmetry_equiv_pos_site_id", "_symmetry_equiv_pos_as_xyz"],
    [
      "_atom_site_type_symbol",
      "_atom_site_label",
      "_atom_site_symmetry_multiplicity",
      "_atom_site_fract_x",
      "_atom_site_fract_y",
      "_atom_site_fract_z",
      "_atom_site_occupancy",
    ],
  ];
  return "# generated using pymatgen\n" + formatCifBlock(comp.reducedFormula, data, loops) + "\n";
}

/** pymatgen prints occupancies with `str(float)`; integers from a non-CIF source print bare. */
export function occupancyString(occ: number, fromCif = true): string {
  return fromCif || !Number.isInteger(occ) ? pyFloatRepr(occ) : String(occ);
}

/**
 * `str(CifWriter(structure))`: the P1 form, one row per site and species.
 *
 * @param structure The structure (written as is, not sorted).
 * @returns CIF text, byte-identical to pymatgen for the same structure.
 * @example Rock salt primitive cell
 * ```ts
 * import { Lattice } from "./lattice.ts";
 * import { Structure } from "./structure.ts";
 * import { writeCif } from "./write_cif.ts";
 * const s = new Structure(Lattice.fromParameters(3.99, 3.99, 3.99, 60, 60, 60), [
 *   { species: [["Na", 1]], frac: [0, 0, 0] },
 *   { species: [["Cl", 1]], frac: [0.5, 0.5, 0.5] },
 * ]);
 * if (!writeCif(s).includes("_symmetry_space_group_name_H-M   'P 1'")) throw new Error();
 * ```
 */
export function writeCif(structure: Structure): string {
  const sites: AtomSiteRow[] = [];
  let count = 0;
  for (const site of structure.sites) {
    // sorted(site.species.items()) sorts (Element, occu) tuples by Element.__lt__
    const species = pySorted(site.species, (x, y) => compareElements(x[0], y[0]) < 0 || (x[0] === y[0] && x[1] < y[1]));
    for (const [sp, occ] of species) {
      sites.push({ typeSymbol: sp, label: `${sp}${count}`, multiplicity: 1, frac: site.frac, occupancy: occupancyString(occ) });
      count++;
    }
  }
  return renderCifWriter({
    lattice: structure.lattice,
    composition: structure.composition,
    sgSymbol: "P 1",
    sgNumber: 1,
    ops: ["x, y, z"],
    sites,
  });
}
