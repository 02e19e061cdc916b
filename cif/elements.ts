/**
 * The periodic table as pymatgen 2022.11.7 sees it.
 *
 * The numbers are facts copied from Debian's `python3-pymatgen` package
 * (`pymatgen/core/periodic_table.json`, read through `pymatgen.core.Element`) by
 * `tools/gen_elements.py` into `cif/data/elements.json`. `null` means pymatgen
 * reports `None`/`NaN` for that property (for example the electronegativity of He).
 *
 * @module
 */
import data from "./data/elements.json" with { type: "json" };

/** One element's properties, with pymatgen's property names. */
export interface ElementData {
  symbol: string;
  Z: number;
  /** Pauling electronegativity; `null` where pymatgen gives NaN. */
  X: number | null;
  atomic_mass: number | null;
  /** Empirical atomic radius in Å (pymatgen `Element.atomic_radius`). */
  atomic_radius: number | null;
  atomic_radius_calculated: number | null;
  average_ionic_radius: number | null;
  average_cationic_radius: number | null;
  average_anionic_radius: number | null;
  ionic_radii: Record<string, number>;
  common_oxidation_states: number[];
  oxidation_states: number[];
  row: number;
  group: number;
  is_metal: boolean;
  van_der_waals_radius: number | null;
}

const BY_SYMBOL: Map<string, ElementData> = new Map(
  (data.elements as ElementData[]).map((e) => [e.symbol, e]),
);

/** Where the element data came from (kept with every manifest that uses it). */
export const ELEMENT_DATA_SOURCE: string = data.source;

/**
 * Look up an element by symbol.
 *
 * @param symbol Element symbol with pymatgen's capitalisation, e.g. `"Na"`.
 * @returns The element's data, or `undefined` when the symbol is not an element.
 * @example Sodium
 * ```ts
 * import { element } from "./elements.ts";
 * if (element("Na")?.Z !== 11) throw new Error();
 * ```
 */
export function element(symbol: string): ElementData | undefined {
  return BY_SYMBOL.get(symbol);
}

/** True when `symbol` is one of the 118 element symbols pymatgen knows. */
export function isElement(symbol: string): boolean {
  return BY_SYMBOL.has(symbol);
}

/**
 * True for a symbol pymatgen reads as a `DummySpecies` (e.g. `Xx`): capitalised
 * letters whose first one or two characters are not an element symbol. pymatgen
 * gives such species an electronegativity of 0.
 */
export function isDummySymbol(symbol: string): boolean {
  if (!/^[A-Z][a-z]*$/.test(symbol) || BY_SYMBOL.has(symbol)) return false;
  return !BY_SYMBOL.has(symbol.slice(0, 1)) && !BY_SYMBOL.has(symbol.slice(0, 2));
}

/**
 * Pauling electronegativity as pymatgen's `Element.X`: NaN where undefined, 0 for dummy species.
 *
 * @param symbol Element symbol.
 * @returns X, or NaN when pymatgen has no value.
 */
export function electronegativity(symbol: string): number {
  const e = BY_SYMBOL.get(symbol);
  if (!e) return isDummySymbol(symbol) ? 0 : NaN;
  const x = e.X;
  return x == null ? NaN : x;
}

/**
 * pymatgen's `Element.__lt__`: order by electronegativity (NaN sorts last, as
 * `float("inf")`), then by symbol.
 */
export function compareElements(a: string, b: string): number {
  const xa = electronegativity(a), xb = electronegativity(b);
  const x1 = Number.isNaN(xa) ? Infinity : xa, x2 = Number.isNaN(xb) ? Infinity : xb;
  if (x1 !== x2) return x1 < x2 ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
