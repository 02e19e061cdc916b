/**
 * Test helpers for `symmetry_test.ts` and `primitive_test.ts`: spglib 2.0.2's own internal
 * `sym_get_operation` / `prm_get_primitive` answers through `tools/symmetry_reference.py`
 * (ctypes into Debian's python3-spglib), and non-primitive cells to test them on.
 * Tests only; never imported by the port itself.
 *
 * @module
 */
import { mulberry32 } from "../../core/random.ts";
import { jsonLinesReference, spglibReference, type TestCell } from "../../tests/spglib.ts";
import type { Cell } from "./types.ts";

/** One request to `tools/symmetry_reference.py`. */
export interface SymRefRequest {
  id: string;
  /** Rows a, b, c. */
  lattice: number[][];
  positions: number[][];
  numbers: number[];
  symprec: number;
  angle_tolerance: number;
  what: (
    | "operation"
    | "pure_translation"
    | "primitive"
    | "reduce_operation"
    | "primitive_symmetry"
    | "lattice_vectors"
  )[];
  reduce_symprec?: number;
}

/** spglib C `Symmetry` as the reference returns it. */
export interface RefSymmetry {
  rotations: number[][][];
  translations: number[][];
}

/** spglib C `Primitive` as the reference returns it (lattices as columns). */
export interface RefPrimitive {
  cell: { size: number; lattice: number[][]; types: number[]; position: number[][] };
  mapping_table: number[];
  size: number;
  tolerance: number;
  angle_tolerance: number;
  orig_lattice: number[][];
}

/** The reference's answer to one request. */
export interface SymRefAnswer {
  id: string;
  operation?: RefSymmetry | null;
  reduce_operation?: RefSymmetry | null;
  pure_translation?: number[][] | null;
  primitive?: RefPrimitive | null;
  primitive_symmetry?: (RefSymmetry & { t_mat: number[][] }) | null;
  lattice_vectors?: { multi: number; prim_lattice: number[][] } | null;
}

/** Ask spglib's C internals (through ctypes) about many cells in one process. */
export function symmetryReference(reqs: SymRefRequest[]): Promise<SymRefAnswer[]> {
  return jsonLinesReference<SymRefAnswer>("tools/symmetry_reference.py", reqs);
}

/** Transpose of a 3×3 matrix (rows ↔ columns). */
export function transpose3(m: number[][]): number[][] {
  return [0, 1, 2].map((i) => [0, 1, 2].map((j) => m[j][i]));
}

/** A port `Cell` (lattice columns) from a test cell (lattice rows). */
export function toCell(c: { lattice: number[][]; positions: number[][]; numbers: number[] }): Cell {
  return {
    size: c.numbers.length,
    lattice: transpose3(c.lattice),
    types: c.numbers.slice(),
    position: c.positions.map((p) => p.slice()),
  };
}

/** A test cell from a port `Cell`-like record with lattice columns. */
export function fromColumns(
  id: string,
  lattice: number[][],
  position: number[][],
  types: number[],
): TestCell {
  return {
    id,
    lattice: transpose3(lattice),
    positions: position.map((p) => p.slice()),
    numbers: types.slice(),
  };
}

/**
 * Non-primitive cells: python spglib's conventional (refined) cells of `cells`, and 2×1×1,
 * 1×1×2 and 3×1×1 supercells with Cartesian noise of up to `noise` Å per coordinate (seeded).
 */
export async function nonPrimitiveCells(cells: TestCell[], noise = 0.02, maxAtoms = 48): Promise<TestCell[]> {
  const refined = await spglibReference(
    cells.map((c) => ({ ...c, symprec: 0.1, angle_tolerance: 5, what: ["refine" as const] })),
  );
  const out: TestCell[] = [];
  refined.forEach((r, n) => {
    const x = r.refine as [number[][], number[][], number[]] | null;
    if (x && x[2].length > cells[n].numbers.length && x[2].length <= maxAtoms) {
      out.push({ id: `refined:${cells[n].id}`, lattice: x[0], positions: x[1], numbers: x[2] });
    }
  });
  const rand = mulberry32(12345);
  cells.forEach((c, n) => {
    // 2×1×1, 1×1×2 and 3×1×1 in turn
    const axis = n % 3 === 1 ? 2 : 0;
    const mult = n % 3 === 2 ? 3 : 2;
    if (mult * c.numbers.length > maxAtoms) return;
    const lattice = c.lattice.map((row, i) => (i === axis ? row.map((v) => mult * v) : row.slice()));
    const positions: number[][] = [];
    const numbers: number[] = [];
    for (let k = 0; k < mult; k++) {
      c.positions.forEach((p, i) => {
        const q = p.slice();
        q[axis] = (q[axis] + k) / mult;
        // Cartesian noise, approximately, as a fraction of each axis length
        for (let j = 0; j < 3; j++) {
          const len = Math.hypot(...lattice[j]);
          q[j] += ((rand() * 2 - 1) * noise) / len;
        }
        positions.push(q);
        numbers.push(c.numbers[i]);
      });
    }
    out.push({ id: `super${mult}:${c.id}`, lattice, positions, numbers });
  });
  return out;
}
