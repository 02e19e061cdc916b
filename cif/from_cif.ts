/**
 * Structures from CIF blocks with the semantics of pymatgen 2022.11.7's
 * `CifParser` as `Structure.from_str(text, "cif")` uses it (primitive=False).
 *
 * What is reproduced: `str2float` (uncertainties dropped), the 1/3 and 2/3
 * coordinate snapping of `_sanitize_data`, symbol parsing (`_parse_symbol`), the
 * operator lookup order of `get_symops`, merging of coincident sites through the
 * symmetry operators, expansion of each species group by `_unique_coords`
 * (coordinates wrapped to [0, 1), duplicates within 1e-4 dropped) and the final
 * `get_sorted_structure()`.
 *
 * @module
 */
import { Composition } from "./composition.ts";
import { compareElements, isDummySymbol, isElement } from "./elements.ts";
import { Lattice, type Vec3 } from "./lattice.ts";
import { type CifBlock, type CifValue, parseCif } from "./parse_cif.ts";
import { pySorted, roundHalfEven } from "./python_compat.ts";
import { type Site, Structure } from "./structure.ts";
import { applyOp, parseXyz, type SymOp } from "./symop.ts";

/** Thrown when a CIF is syntactically fine but holds no usable structure. */
export class CifStructureError extends Error {
  override name = "CifStructureError";
  /**
   * @param message What is wrong.
   * @param file The file.
   * @param line 1-based line of the offending value (the block header when unknown).
   */
  constructor(message: string, readonly file: string, readonly line: number) {
    super(`${file}:${line}: ${message}`);
  }
}

/** Options for {@link structureFromCif}. */
export interface FromCifOptions {
  /** File name for messages. @default {"<string>"} */
  file?: string;
  /** pymatgen's `site_tolerance`. @default {1e-4} */
  siteTolerance?: number;
  /**
   * Operators for a space-group symbol or number when the CIF lists none
   * (pymatgen falls back to `SpaceGroup(symbol).symmetry_ops`). Without it such
   * CIFs are read as P1, with a warning.
   */
  spaceGroupOps?: (symbolOrNumber: string) => SymOp[] | undefined;
  /**
   * Reject cells pymatgen would still accept: non-finite lengths or angles, or a
   * volume that is not a positive finite number. @default {false}
   */
  strict?: boolean;
  /** Receives non-fatal warnings. */
  onWarning?: (msg: string) => void;
}

/** pymatgen `str2float`: drops `(…)` uncertainties; `.` reads as 0. */
export function str2float(v: CifValue | string, file = "<string>"): number {
  const text = typeof v === "string" ? v : v.text;
  const cleaned = text.replace(/\(.+\)*/, "").trim();
  const n = pyFloat(cleaned);
  if (n !== undefined) return n;
  if (text.trim() === ".") return 0;
  throw new CifStructureError(`could not convert string to float: '${text}'`, file, typeof v === "string" ? 0 : v.line);
}

/** Python `float(str)` for the forms CIF numbers take (incl. `nan`, `inf`). */
function pyFloat(s: string): number | undefined {
  const t = s.replaceAll("_", "");
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?(nan|inf|infinity)$/i.test(t)) {
    const neg = t.startsWith("-");
    return t.toLowerCase().includes("nan") ? NaN : neg ? -Infinity : Infinity;
  }
  return undefined;
}

const SPECIAL_SYMBOLS: [string, string][] = [
  ["Hw", "H"],
  ["Ow", "O"],
  ["Wat", "O"],
  ["wat", "O"],
  ["OH", ""],
  ["OH2", ""],
  ["NO3", "N"],
];

function title2(s: string): string {
  return s.length === 0 ? s : s[0].toUpperCase() + s.slice(1).toLowerCase();
}

/** pymatgen `CifParser._parse_symbol`: the element a site symbol or label means. */
export function parseSymbol(sym: string): string | undefined {
  for (const [k, v] of SPECIAL_SYMBOLS) if (sym.startsWith(k)) return v;
  if (isElement(title2(sym.slice(0, 2)))) return title2(sym.slice(0, 2));
  if (sym.length && isElement(sym[0].toUpperCase())) return sym[0].toUpperCase();
  const m = /^w?[A-Z][a-z]*/.exec(sym);
  return m ? m[0] : undefined;
}

/** pymatgen `in_coord_list_pbc` / `find_in_coord_list_pbc` (first index or -1). */
export function findInCoordListPbc(list: readonly Vec3[], c: Vec3, atol: number): number {
  for (let i = 0; i < list.length; i++) {
    const p = list[i];
    let ok = true;
    for (let k = 0; k < 3 && ok; k++) {
      let d = p[k] - c[k];
      d -= roundHalfEven(d);
      if (!(Math.abs(d) < atol)) ok = false;
    }
    if (ok) return i;
  }
  return -1;
}

/** pymatgen `Composition.__ge__`-derived `<` (used to group sites by species). */
function compositionLess(a: Composition, b: Composition): boolean {
  // a < b  ⟺  not (a >= b)
  const els = pySorted([...new Set([...a.elements, ...b.elements])], (x, y) => elementLt(x, y));
  for (const el of els) {
    if (a.amount(el) - b.amount(el) <= -1e-8) return true; // other has more → a >= b is False
    if (b.amount(el) - a.amount(el) <= -1e-8) return false;
  }
  return false;
}

function elementLt(a: string, b: string): boolean {
  return compareElements(a, b) < 0;
}

/** The symmetry operators of a block, in `CifParser.get_symops` order of preference. */
function symmetryOps(block: CifBlock, opts: FromCifOptions, file: string): SymOp[] {
  for (const tag of ["_symmetry_equiv_pos_as_xyz", "_symmetry_equiv_pos_as_xyz_", "_space_group_symop_operation_xyz", "_space_group_symop_operation_xyz_"]) {
    const col = block.column(tag);
    if (!col || col.length === 0) continue;
    try {
      return col.map((v) => parseXyz(v.text));
    } catch (e) {
      if ((e as Error).name === "SymOpError" && !(e as Error).message.startsWith("Operator has more")) continue;
      throw new CifStructureError(`Cannot parse symmetry operator: ${(e as Error).message}`, file, col[0].line);
    }
  }
  const fallbackTags = [
    "_symmetry_space_group_name_H-M",
    "_symmetry_space_group_name_H_M",
    "_space_group_name_Hall",
    "_space_group_name_H-M_alt",
    "_symmetry_space_group_name_hall",
    "_space_group_IT_number",
    "_symmetry_Int_Tables_number",
  ];
  for (const tag of fallbackTags) {
    const v = block.get(tag);
    if (!v) continue;
    const ops = opts.spaceGroupOps?.(v.text);
    if (ops && ops.length) {
      opts.onWarning?.(`${file}:${v.line}: No _symmetry_equiv_pos_as_xyz type key found. Spacegroup from ${tag} used.`);
      return ops;
    }
  }
  opts.onWarning?.(`${file}:${block.line}: No _symmetry_equiv_pos_as_xyz type key found. Defaulting to P1.`);
  return [parseXyz("x, y, z")];
}

/**
 * Build the structure of one CIF block, as pymatgen's `CifParser._get_structure`.
 *
 * @param block A parsed block.
 * @param options File name, tolerances, space-group fallback.
 * @returns The structure, sorted like `get_sorted_structure()`.
 * @throws {CifStructureError} Missing cell or sites, unreadable numbers, unknown elements.
 */
export function structureFromBlock(block: CifBlock, options: FromCifOptions = {}): Structure {
  const file = block.file;
  const atol = options.siteTolerance ?? 1e-4;
  const need = (tag: string): CifValue => {
    const v = block.get(tag);
    if (!v) throw new CifStructureError(`Missing ${tag}`, file, block.line);
    return v;
  };
  const params = ["_cell_length_a", "_cell_length_b", "_cell_length_c", "_cell_angle_alpha", "_cell_angle_beta", "_cell_angle_gamma"]
    .map((t) => str2float(need(t), file));
  const lattice = Lattice.fromParameters(params[0], params[1], params[2], params[3], params[4], params[5]);
  if (options.strict) {
    const bad = params.findIndex((p) => !Number.isFinite(p));
    if (bad >= 0) throw new CifStructureError(`Cell parameter is not a finite number: ${params[bad]}`, file, block.get(["_cell_length_a", "_cell_length_b", "_cell_length_c", "_cell_angle_alpha", "_cell_angle_beta", "_cell_angle_gamma"][bad])!.line);
    const v = lattice.volume;
    if (!(Number.isFinite(v) && v > 0)) throw new CifStructureError(`Cell volume is not a positive finite number: ${v}`, file, block.get("_cell_length_a")!.line);
  }
  const ops = symmetryOps(block, options, file);

  const labels = block.column("_atom_site_label");
  if (!labels) throw new CifStructureError("Missing _atom_site_label", file, block.line);
  const types = block.column("_atom_site_type_symbol");
  const colOf = (tag: string) => {
    const c = block.column(tag);
    if (!c) throw new CifStructureError(`Missing ${tag}`, file, block.line);
    return c;
  };
  const fx = colOf("_atom_site_fract_x"), fy = colOf("_atom_site_fract_y"), fz = colOf("_atom_site_fract_z");
  const occCol = block.column("_atom_site_occupancy");

  // _sanitize_data: snap coordinates within 1e-4 (relative) of 1/3 and 2/3
  const snap = (v: CifValue): number => {
    const x = str2float(v, file);
    for (const f of [1 / 3, 2 / 3]) if (Math.abs(1 - x / f) < 1e-4) return f;
    return x;
  };

  const keys: Vec3[] = [];
  const species: Composition[] = [];
  for (let i = 0; i < labels.length; i++) {
    const symSrc = types ? types[i] : labels[i];
    if (!symSrc) throw new CifStructureError(`Row ${i + 1} of the atom-site loop is incomplete`, file, labels[i]?.line ?? block.line);
    const symbol = parseSymbol(symSrc.text);
    if (!symbol) continue;
    // pymatgen's get_el_sp falls back to a DummySpecies (X = 0) for symbols like "Xx"
    if (!isElement(symbol) && !isDummySymbol(symbol)) {
      throw new CifStructureError(`Unknown element symbol "${symSrc.text}"`, file, symSrc.line);
    }
    if (!fx[i] || !fy[i] || !fz[i]) throw new CifStructureError(`Row ${i + 1} has no coordinates`, file, symSrc.line);
    const coord: Vec3 = [snap(fx[i]), snap(fy[i]), snap(fz[i])];
    // pymatgen fails on math.floor(nan/inf) when wrapping coordinates
    if (!coord.every(Number.isFinite)) {
      throw new CifStructureError(`Non-finite fractional coordinate in row ${i + 1}`, file, fx[i].line);
    }
    let occ = 1;
    if (occCol && occCol[i]) {
      try {
        occ = str2float(occCol[i], file);
      } catch {
        occ = 1;
      }
    }
    if (!(occ > 0)) continue;
    let match = -1;
    for (const op of ops) {
      match = findInCoordListPbc(keys, applyOp(op, coord), atol);
      if (match >= 0) break;
    }
    const comp = new Composition([[symbol, occ]]);
    if (match < 0) {
      keys.push(coord);
      species.push(comp);
    } else {
      species[match] = new Composition([...species[match].entries(), ...comp.entries()]);
    }
  }
  if (keys.length === 0) throw new CifStructureError("No atom sites with positive occupancy", file, labels[0]?.line ?? block.line);

  // groupby(sorted(coord_to_species.items(), key=comp), key=comp)
  const order = pySorted(keys.map((_, i) => i), (a, b) => compositionLess(species[a], species[b]));
  const sites: Site[] = [];
  let g = 0;
  while (g < order.length) {
    let h = g + 1;
    while (h < order.length && species[order[h]].equals(species[order[g]])) h++;
    const comp = species[order[g]];
    const coords: Vec3[] = [];
    for (const idx of order.slice(g, h)) {
      for (const op of ops) {
        const c = applyOp(op, keys[idx]).map((x) => x - Math.floor(x)) as Vec3;
        if (findInCoordListPbc(coords, c, atol) < 0) coords.push(c);
      }
    }
    const occTotal = comp.numAtoms;
    if (occTotal > 1 + 1e-8) {
      throw new CifStructureError(`Species occupancies sum to more than 1 (${occTotal})`, file, block.line);
    }
    for (const c of coords) sites.push({ species: comp.entries(), frac: c });
    g = h;
  }
  return new Structure(lattice, sites).sorted();
}

/**
 * Parse CIF text and return the structure of its first block that has one,
 * as `Structure.from_str(text, fmt="cif")`.
 *
 * @param text CIF text.
 * @param options File name and parser options.
 * @returns The structure.
 * @throws {CifSyntaxError} When the text is not CIF.
 * @throws {CifStructureError} When no block holds a structure.
 * @example Rock salt from its symmetrized CIF
 * ```ts
 * import { structureFromCif } from "./from_cif.ts";
 * const cif = `data_NaCl
 * _cell_length_a 5.6402(3)
 * _cell_length_b 5.6402
 * _cell_length_c 5.6402
 * _cell_angle_alpha 90
 * _cell_angle_beta 90
 * _cell_angle_gamma 90
 * loop_
 * _symmetry_equiv_pos_as_xyz
 * 'x, y, z'
 * 'x, y+1/2, z+1/2'
 * 'x+1/2, y, z+1/2'
 * 'x+1/2, y+1/2, z'
 * loop_
 * _atom_site_label
 * _atom_site_fract_x
 * _atom_site_fract_y
 * _atom_site_fract_z
 * Na1 0 0 0
 * Cl1 0.5 0.5 0.5
 * `;
 * if (structureFromCif(cif).length !== 8) throw new Error();
 * ```
 */
export function structureFromCif(text: string, options: FromCifOptions = {}): Structure {
  const file = options.file ?? "<string>";
  const doc = parseCif(text, file);
  let firstError: Error | undefined;
  for (const block of doc.blocks) {
    try {
      return structureFromBlock(block, options);
    } catch (e) {
      firstError ??= e as Error;
    }
  }
  throw firstError ?? new CifStructureError("Invalid cif file with no structures!", file, 1);
}
