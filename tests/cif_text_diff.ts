/**
 * Comparing our CIF text with a reference's, telling apart differences that say nothing
 * about our code from real disagreements.
 *
 * A reference computed with floats (pymatgen on numpy, OpenBLAS and libm) can print one unit
 * more or less in the last digit from one CPU to another, and a rounding difference of that
 * size can make it pick another atom of the same orbit as a site's representative. Those two
 * classes are counted apart; everything else is a disagreement. Byte-identical stays its own
 * class, so tests can print exact-match shares next to the classified ones.
 *
 * @module
 */
import { type CifLoop, parseCif } from "../cif/parse_cif.ts";
import type { Vec3 } from "../cif/lattice.ts";
import { applyOp, parseXyz, type SymOp } from "../cif/symop.ts";

/** How two CIF texts compare, from closest to farthest. */
export type TextAgreement = "identical" | "last-digit" | "equivalent-site" | "different";

/** The class of a comparison and the first line that made it so. */
export interface TextComparison {
  kind: TextAgreement;
  /** Empty for identical texts, otherwise the deciding line of both texts. */
  detail: string;
}

const DECIMAL = /^-?\d+(?:\.\d+)?$/;

/**
 * True when two printed numbers have the same number of decimals and differ by at most one
 * unit in the last digit (`0.99999999` and `1.00000000` do; `-0.00000001` and `0.00000000` do;
 * so do `-0.00000000` and `0.00000000`, which differ only in the sign of a zero).
 *
 * @param a A printed number.
 * @param b Another.
 * @returns Whether they are at most one last-digit unit apart.
 */
export function oneLastDigitApart(a: string, b: string): boolean {
  if (!DECIMAL.test(a) || !DECIMAL.test(b)) return false;
  const decimals = (s: string) => s.includes(".") ? s.length - s.indexOf(".") - 1 : 0;
  if (decimals(a) !== decimals(b)) return false;
  const units = (s: string) => BigInt(s.replace(".", ""));
  const d = units(a) - units(b);
  return d >= -1n && d <= 1n;
}

/** True when two lines differ only in numbers one last-digit unit apart. */
function lastDigitLine(a: string, b: string): boolean {
  const ta = a.trim().split(/\s+/), tb = b.trim().split(/\s+/);
  return ta.length === tb.length && ta.every((t, i) => t === tb[i] || oneLastDigitApart(t, tb[i]));
}

/** The atom-site loop and symmetry operations of a symmetrized CIF, or undefined. */
function sitesAndOps(text: string): { loop: CifLoop; ops: SymOp[] } | undefined {
  try {
    const block = parseCif(text).blocks[0];
    const loop = block.loopOf("_atom_site_fract_x");
    const xyz = block.column("_symmetry_equiv_pos_as_xyz") ??
      block.column("_space_group_symop_operation_xyz");
    if (!loop || !xyz) return undefined;
    return { loop, ops: xyz.map((v) => parseXyz(v.text)) };
  } catch {
    return undefined;
  }
}

/**
 * True when line `k` (0-based) is an atom-site row in both texts that differs only in its
 * coordinates, and one of the reference's operations takes our coordinates to its coordinates
 * modulo lattice translations, within the printed precision.
 */
function equivalentSiteLine(
  k: number,
  ours: { loop: CifLoop; ops: SymOp[] },
  ref: { loop: CifLoop; ops: SymOp[] },
): boolean {
  const tags = ref.loop.tags.map((t) => t.toLowerCase());
  if (tags.join() !== ours.loop.tags.map((t) => t.toLowerCase()).join()) return false;
  const rowA = ours.loop.rows.find((r) => r[0].line === k + 1);
  const rowB = ref.loop.rows.find((r) => r[0].line === k + 1);
  if (!rowA || !rowB) return false;
  const fract = ["_atom_site_fract_x", "_atom_site_fract_y", "_atom_site_fract_z"].map((t) =>
    tags.indexOf(t)
  );
  if (!rowA.every((v, i) => fract.includes(i) || v.text === rowB[i].text)) return false;
  const a = fract.map((i) => Number(rowA[i].text)) as Vec3;
  const b = fract.map((i) => Number(rowB[i].text)) as Vec3;
  if (![...a, ...b].every(Number.isFinite)) return false;
  // each printed coordinate is within half a last-digit unit of its value; an operation adds
  // at most two such errors per component (hexagonal settings), the reference one more
  const decimals = Math.max(...fract.map((i) => (rowB[i].text.split(".")[1] ?? "").length));
  const tol = 3.5 * 10 ** -decimals;
  return ref.ops.some((op) =>
    applyOp(op, a).every((x, i) => {
      const d = x - b[i];
      return Math.abs(d - Math.round(d)) <= tol;
    })
  );
}

/**
 * Compare our CIF text with a reference's.
 *
 * @param ours Our text.
 * @param ref The reference's text.
 * @returns `identical`; `last-digit` when every differing line differs only in numbers one unit
 *   apart in the last printed digit; `equivalent-site` when, besides such lines, some atom-site
 *   rows hold another representative of the same orbit (same label, species, multiplicity and
 *   occupancy; coordinates related by one of the reference's operations); else `different`.
 */
export function compareCifText(ours: string, ref: string): TextComparison {
  if (ours === ref) return { kind: "identical", detail: "" };
  const a = ours.split("\n"), b = ref.split("\n");
  const show = (k: number) => `line ${k + 1}: ours ${JSON.stringify(a[k])} reference ${JSON.stringify(b[k])}`;
  if (a.length !== b.length) {
    const k = a.findIndex((l, j) => l !== b[j]);
    return { kind: "different", detail: `${a.length} vs ${b.length} lines; first difference ${show(k)}` };
  }
  let kind: TextAgreement = "last-digit";
  let detail = "";
  let sites: [ReturnType<typeof sitesAndOps>, ReturnType<typeof sitesAndOps>] | undefined;
  for (let k = 0; k < a.length; k++) {
    if (a[k] === b[k]) continue;
    if (lastDigitLine(a[k], b[k])) {
      detail ||= show(k);
      continue;
    }
    sites ??= [sitesAndOps(ours), sitesAndOps(ref)];
    const [sa, sb] = sites;
    if (sa && sb && equivalentSiteLine(k, sa, sb)) {
      if (kind !== "equivalent-site") detail = show(k);
      kind = "equivalent-site";
      continue;
    }
    return { kind: "different", detail: show(k) };
  }
  return { kind, detail };
}

/** Counts of each class over many comparisons. */
export type AgreementCounts = Record<TextAgreement, number>;

/** Zero counts. */
export function emptyCounts(): AgreementCounts {
  return { "identical": 0, "last-digit": 0, "equivalent-site": 0, "different": 0 };
}

/**
 * One line of figures: byte-identical share first, then the classified differences.
 *
 * @param c Counts.
 * @returns e.g. `637/638 byte-identical (99.8%), 1 last-digit, 0 equivalent site, 0 different`.
 */
export function formatCounts(c: AgreementCounts): string {
  const n = c.identical + c["last-digit"] + c["equivalent-site"] + c.different;
  return `${c.identical}/${n} byte-identical (${(100 * c.identical / Math.max(n, 1)).toFixed(1)}%), ${
    c["last-digit"]
  } last-digit, ${c["equivalent-site"]} equivalent site, ${c.different} different`;
}
