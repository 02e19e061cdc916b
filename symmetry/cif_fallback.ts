/**
 * Operators for CIFs that name a space group but list no operators.
 *
 * pymatgen's `CifParser.get_symops` then falls back to
 * `SpaceGroup(symbol).symmetry_ops` (symbol with spaces removed) and, failing
 * that, to `SpaceGroup.from_int_number(n)`. Pass this function as
 * `structureFromCif(text, { spaceGroupOps: spaceGroupOpsForCif })`.
 *
 * @module
 */
import { parseXyz, type SymOp } from "../cif/symop.ts";
import { spaceGroupOps, spaceGroupSymbols } from "./space_group_ops.ts";

let byNumber: Map<number, string> | undefined;

/**
 * The operators for an H-M symbol (`"Pmma"`, `"P m m a"`) or an ITA number (`"51"`).
 *
 * @param symbolOrNumber The value of `_symmetry_space_group_name_H-M` or `_symmetry_Int_Tables_number`.
 * @returns The operators in pymatgen's order, or `undefined` when unknown.
 * @example
 * ```ts
 * import { spaceGroupOpsForCif } from "./cif_fallback.ts";
 * if (spaceGroupOpsForCif("P m m a")?.length !== 8) throw new Error();
 * ```
 */
export function spaceGroupOpsForCif(symbolOrNumber: string): SymOp[] | undefined {
  const text = symbolOrNumber.trim();
  let entry = spaceGroupOps(text.replace(/\s+/g, ""));
  if (!entry && /^\d+(\.0*)?$/.test(text)) {
    byNumber ??= new Map(
      spaceGroupSymbols().map((s) => [spaceGroupOps(s)!.number, s] as [number, string]).reverse(),
    );
    const sym = byNumber.get(Number(text));
    entry = sym ? spaceGroupOps(sym) : undefined;
  }
  return entry?.ops.map(parseXyz);
}
