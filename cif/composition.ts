/**
 * Chemical compositions with pymatgen's formula rules.
 *
 * `formula`, `reducedFormula` and the element order follow
 * `pymatgen.core.composition.Composition` (2022.11.7) exactly, including its
 * electronegativity ordering, poly-anion grouping (`Li3(PO4)`-style reduction is
 * only used for the reduced formula), special formulas (`O` → `O2`) and its float
 * formatting.
 *
 * @module
 */
import { compareElements, electronegativity, isDummySymbol, isElement } from "./elements.ts";
import { pyFloatRepr, pyRound, pySorted, roundHalfEven } from "./python_compat.ts";

/** pymatgen's `Composition.amount_tolerance`. */
export const AMOUNT_TOLERANCE = 1e-8;

/** pymatgen 2022.11.7 `Composition.special_formulas`. */
const SPECIAL_FORMULAS: Record<string, string> = {
  LiO: "Li2O2",
  NaO: "Na2O2",
  KO: "K2O2",
  HO: "H2O2",
  CsO: "Cs2O2",
  RbO: "Rb2O2",
  O: "O2",
  N: "N2",
  F: "F2",
  Cl: "Cl2",
  H: "H2",
};

/** Thrown for a formula pymatgen would reject. */
export class FormulaError extends Error {
  override name = "FormulaError";
}

/** An element → amount map in insertion order, as pymatgen keeps it. */
export class Composition {
  readonly #amounts: Map<string, number>;

  /**
   * @param amounts Element symbols with amounts; amounts below 1e-8 are dropped.
   * @throws {FormulaError} On an unknown element or a negative amount.
   */
  constructor(amounts: Iterable<[string, number]> | Record<string, number>) {
    this.#amounts = new Map();
    const entries = Symbol.iterator in Object(amounts)
      ? amounts as Iterable<[string, number]>
      : Object.entries(amounts as Record<string, number>);
    for (const [el, amt] of entries) {
      if (!isElement(el) && !isDummySymbol(el)) throw new FormulaError(`Unknown element: ${el}`);
      if (amt < -AMOUNT_TOLERANCE) throw new FormulaError(`Amounts in Composition cannot be negative: ${el}${amt}`);
      this.#amounts.set(el, (this.#amounts.get(el) ?? 0) + amt);
    }
    for (const [el, amt] of [...this.#amounts]) if (Math.abs(amt) < AMOUNT_TOLERANCE) this.#amounts.delete(el);
  }

  /**
   * Parse a formula as `Composition("...")` does: `NaCl`, `Na1 Cl1`, `Ba2Ti2O6`, `Ca3(PO4)2`.
   *
   * @param formula The formula text.
   * @returns The composition.
   * @throws {FormulaError} When the text is not a formula.
   * @example Parentheses
   * ```ts
   * import { Composition } from "./composition.ts";
   * if (Composition.parse("Ca3(PO4)2").formula !== "Ca3 P2 O8") throw new Error();
   * ```
   */
  static parse(formula: string): Composition {
    return new Composition(parseFormula(formula.replaceAll("@", "")));
  }

  /** Element symbols in insertion order. */
  get elements(): string[] {
    return [...this.#amounts.keys()];
  }

  /** Amount of one element (0 when absent). */
  amount(el: string): number {
    return this.#amounts.get(el) ?? 0;
  }

  /** `[element, amount]` pairs in insertion order. */
  entries(): [string, number][] {
    return [...this.#amounts];
  }

  /** Total number of atoms. */
  get numAtoms(): number {
    let s = 0;
    for (const v of this.#amounts.values()) s += Math.abs(v);
    return s;
  }

  /** pymatgen's `average_electroneg` (NaN when an element has no X). */
  get averageElectroneg(): number {
    let s = 0;
    for (const [el, v] of this.#amounts) s += electronegativity(el) * Math.abs(v);
    return s / this.numAtoms;
  }

  /** `Composition.formula`: `"Na4 Cl4"`, elements ordered by electronegativity. */
  get formula(): string {
    const syms = pySorted(this.elements, (a, b) => electronegativity(a) < electronegativity(b));
    return syms.map((s) => `${s}${formulaDoubleFormat(this.amount(s), false)}`).join(" ");
  }

  /** `Composition.reduced_formula`: `"NaCl"`, `"Li3PO4"`, `"O2"`. */
  get reducedFormula(): string {
    return this.reducedFormulaAndFactor()[0];
  }

  /** `Composition.get_reduced_formula_and_factor()`. */
  reducedFormulaAndFactor(): [string, number] {
    const allInt = [...this.#amounts.values()].every((x) => Math.abs(x - roundHalfEven(x)) < AMOUNT_TOLERANCE);
    if (!allInt) return [this.formula.replaceAll(" ", ""), 1];
    const d = new Map<string, number>();
    for (const [k, v] of this.#amounts) d.set(k, roundHalfEven(v));
    let [formula, factor] = reduceFormula(d);
    if (formula in SPECIAL_FORMULAS) {
      formula = SPECIAL_FORMULAS[formula];
      factor /= 2;
    }
    return [formula, factor];
  }

  /** The reduced composition and the factor, as `get_reduced_composition_and_factor()`. */
  reducedCompositionAndFactor(): [Composition, number] {
    const factor = this.reducedFormulaAndFactor()[1];
    return [new Composition(this.entries().map(([e, a]): [string, number] => [e, a / factor])), factor];
  }

  /** Anonymous-free key for dictionaries: elements sorted, amounts rounded. */
  toJSON(): Record<string, number> {
    return Object.fromEntries(this.#amounts);
  }

  /** True when both hold the same elements with amounts within 1e-8 (pymatgen `==`). */
  equals(other: Composition): boolean {
    const keys = new Set([...this.elements, ...other.elements]);
    for (const k of keys) if (Math.abs(this.amount(k) - other.amount(k)) > AMOUNT_TOLERANCE) return false;
    return true;
  }
}

/** pymatgen `formula_double_format`. */
export function formulaDoubleFormat(afloat: number, ignoreOnes = true, tol = 1e-8): string {
  if (ignoreOnes && afloat === 1) return "";
  if (Math.abs(afloat - Math.trunc(afloat)) < tol) return String(Math.trunc(afloat));
  return pyFloatRepr(pyRound(afloat, 8));
}

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Python list comparison `[X(a), a] < [X(b), b]` with NaN semantics. */
function xSymLess(a: string, b: string): boolean {
  const xa = electronegativity(a), xb = electronegativity(b);
  if (!(xa === xb)) return xa < xb;
  return a < b;
}

/** pymatgen `reduce_formula` for integer amounts. */
function reduceFormula(symAmt: Map<string, number>): [string, number] {
  let syms = pySorted([...symAmt.keys()], xSymLess);
  syms = syms.filter((s) => Math.abs(symAmt.get(s)!) > AMOUNT_TOLERANCE);
  let factor = 1;
  const vals = [...symAmt.values()];
  if (vals.every((v) => Math.trunc(v) === v)) factor = Math.abs(vals.reduce((g, v) => gcd(g, v), 0));
  const polyanion: string[] = [];
  if (syms.length >= 3 && electronegativity(syms[syms.length - 1]) - electronegativity(syms[syms.length - 2]) < 1.65) {
    const poly = new Map<string, number>();
    for (const s of syms.slice(-2)) poly.set(s, symAmt.get(s)! / factor);
    const [polyForm, polyFactor] = reduceFormula(poly);
    if (polyFactor !== 1) polyanion.push(`(${polyForm})${Math.trunc(polyFactor)}`);
  }
  syms = syms.slice(0, polyanion.length ? syms.length - 2 : syms.length);
  const parts: string[] = [];
  for (const s of syms) parts.push(s, formulaDoubleFormat(symAmt.get(s)! / factor));
  return [parts.join("") + polyanion.join(""), factor];
}

/** pymatgen `Composition._parse_formula`. */
function parseFormula(formula: string): [string, number][] {
  const m = /\(([^()]+)\)\s*([.e\d]*)/.exec(formula);
  if (m) {
    const factor = m[2] !== "" ? parsePyFloat(m[2], formula) : 1;
    const unit = symDict(m[1], factor);
    const expanded = unit.map(([el, amt]) => `${el}${pyFloatRepr(amt)}`).join("");
    return parseFormula(formula.replace(m[0], expanded));
  }
  return symDict(formula, 1);
}

function symDict(form: string, factor: number): [string, number][] {
  const out = new Map<string, number>();
  let rest = form;
  for (const m of form.matchAll(/([A-Z][a-z]*)\s*([-*.e\d]*)/g)) {
    const amt = m[2].trim() !== "" ? parsePyFloat(m[2], form) : 1;
    out.set(m[1], (out.get(m[1]) ?? 0) + amt * factor);
    rest = rest.replace(m[0], "");
  }
  if (rest.trim()) throw new FormulaError(`${rest} is an invalid formula!`);
  return [...out];
}

function parsePyFloat(s: string, ctx: string): number {
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s.trim())) {
    throw new FormulaError(`Cannot parse amount "${s}" in formula ${ctx}`);
  }
  return Number(s);
}

export { compareElements };
