/**
 * Each space group's symmetry operators keyed by the H-M symbol CrystaLLM writes.
 *
 * Upstream CrystaLLM's postprocessing (`replace_symmetry_operators`, commit 8e81a86) replaces a
 * generated CIF's operator loop with `SpaceGroup(symbol).symmetry_ops` of pymatgen, printed with
 * `SymmOp.as_xyz_string()` in the iteration order of that Python set. The table in
 * `data/space_group_ops.json` was produced by `tools/gen_symmetry_tables.py` with Debian's
 * pymatgen 2022.11.7, so it carries that exact order; keys are spglib's short symbols of the
 * default setting of each of the 230 types (`Fm-3m`, `P2_1/c`, `R-3m`, …).
 *
 * @module
 */
import { opToXyz as cifOpToXyz, parseXyz, type SymOp } from "../cif/symop.ts";
import table from "./data/space_group_ops.json" with { type: "json" };

export type { SymOp };

/** One space group's entry. */
export interface SpaceGroupOps {
  /** ITA number. */
  number: number;
  /** Operators as `SymmOp.as_xyz_string()`, in upstream's order. */
  ops: string[];
}

const GROUPS =
  (table as unknown as { space_groups: Record<string, { int_number: number; ops: string[] }> }).space_groups;

/**
 * The operators of a space group, as upstream CrystaLLM's postprocess writes them.
 *
 * @param symbol H-M symbol as pymatgen prints it (e.g. `"Fm-3m"`).
 * @returns Number and operators, or `undefined` for an unknown symbol.
 * @example Two operators for P-1
 * ```ts
 * import { spaceGroupOps } from "./space_group_ops.ts";
 * if (spaceGroupOps("P-1")?.ops.length !== 2) throw new Error();
 * ```
 */
export function spaceGroupOps(symbol: string): SpaceGroupOps | undefined {
  const g = GROUPS[symbol];
  return g ? { number: g.int_number, ops: g.ops.slice() } : undefined;
}

/**
 * All symbols in the table (230, one per space-group type).
 *
 * @returns The symbols in table order.
 */
export function spaceGroupSymbols(): string[] {
  return Object.keys(GROUPS);
}

/**
 * pymatgen `SymmOp.from_xyz_string`.
 *
 * @param xyz Text such as `"-x+1/2, y, z"`.
 * @returns The operation (rotation and translation).
 * @throws {SymOpError} When the text cannot be read.
 * @example Screw axis
 * ```ts
 * import { xyzToOp } from "./space_group_ops.ts";
 * if (xyzToOp("-x, -y, z+1/2").trans[2] !== 0.5) throw new Error();
 * ```
 */
export function xyzToOp(xyz: string): SymOp {
  return parseXyz(xyz);
}

/**
 * pymatgen `SymmOp.as_xyz_string()`.
 *
 * @param op The operation.
 * @returns Text such as `"-y+1/2, x, z+3/4"`.
 * @example Round trip
 * ```ts
 * import { opToXyz, xyzToOp } from "./space_group_ops.ts";
 * if (opToXyz(xyzToOp("x-y, x, z+1/6")) !== "x-y, x, z+1/6") throw new Error();
 * ```
 */
export function opToXyz(op: SymOp): string {
  return cifOpToXyz(op);
}
