/**
 * Test helpers for the spglib port's tests. For `symmetry_test.ts` and `primitive_test.ts`:
 * spglib 2.0.2's own internal `sym_get_operation` / `prm_get_primitive` answers through
 * `tools/symmetry_reference.py` (ctypes into Debian's python3-spglib), and non-primitive
 * cells to test them on. For `delaunay_test.ts` and `niggli_test.ts`: test lattices and
 * python-spglib reference calls. Tests only; never imported by the port itself.
 *
 * @module
 */
import { mulberry32 } from "../../core/random.ts";
import {
  jsonLinesReference,
  spglibReference,
  type SpglibRequest,
  type TestCell,
  testCells,
} from "../../tests/spglib.ts";
import { mat3, matGetDeterminantD3, vec3 } from "./mathfunc.ts";
import type { Cell, Mat3, Vec3 } from "./types.ts";

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
export function transpose3(m: number[][]): Mat3 {
  return mat3((i) => vec3((j) => m[j][i]));
}

/** A port `Cell` (lattice columns) from a test cell (lattice rows). */
export function toCell(c: { lattice: number[][]; positions: number[][]; numbers: number[] }): Cell {
  return {
    size: c.numbers.length,
    lattice: transpose3(c.lattice),
    types: c.numbers.slice(),
    position: c.positions.map((p) => p.slice() as Vec3),
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

// ---- Delaunay and Niggli reductions: test lattices and references ----

function mul(a: number[][], b: number[][]): number[][] {
  return a.map((r) => b[0].map((_, j) => r[0] * b[0][j] + r[1] * b[1][j] + r[2] * b[2][j]));
}

/** Lattice rows a, b, c from lengths and angles (degrees). */
function fromParams(a: number, b: number, c: number, al: number, be: number, ga: number): number[][] {
  const r = Math.PI / 180;
  const [ca, cb, cg, sg] = [Math.cos(al * r), Math.cos(be * r), Math.cos(ga * r), Math.sin(ga * r)];
  const cx = c * cb;
  const cy = c * (ca - cb * cg) / sg;
  return [[a, 0, 0], [b * cg, b * sg, 0], [cx, cy, Math.sqrt(Math.max(c * c - cx * cx - cy * cy, 0))]];
}

/** A random integer unimodular 3×3 matrix (product of shears and swaps). */
function unimodular(rnd: () => number, steps: number): number[][] {
  let m = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  for (let s = 0; s < steps; s++) {
    const i = Math.floor(rnd() * 3);
    const j = (i + 1 + Math.floor(rnd() * 2)) % 3;
    const e = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
    if (rnd() < 0.2) {
      e[i][i] = 0, e[j][j] = 0, e[i][j] = 1, e[j][i] = 1; // swap (det -1)
    } else {
      e[i][j] = rnd() < 0.5 ? -1 : 1 + Math.floor(rnd() * 2) * (rnd() < 0.5 ? -1 : 1);
    }
    m = mul(e, m);
  }
  return m;
}

/**
 * Seeded random lattices (rows a, b, c) with labels: ≥ 300, mixing general, skewed,
 * near-degenerate, left-handed and transformed symmetric cells.
 */
export function randomLattices(seed = 20240531): { id: string; lattice: number[][] }[] {
  const rnd = mulberry32(seed);
  const out: { id: string; lattice: number[][] }[] = [];
  const u = (lo: number, hi: number) => lo + (hi - lo) * rnd();
  const symmetric: [string, () => number[][]][] = [
    ["cubicP", () => fromParams(4, 4, 4, 90, 90, 90)],
    ["cubicF", () => [[0, 2.7, 2.7], [2.7, 0, 2.7], [2.7, 2.7, 0]]],
    ["cubicI", () => [[-1.6, 1.6, 1.6], [1.6, -1.6, 1.6], [1.6, 1.6, -1.6]]],
    ["hex", () => fromParams(3.1, 3.1, 5.0, 90, 90, 120)],
    ["tetra", () => fromParams(3.5, 3.5, 6.2, 90, 90, 90)],
    ["ortho", () => fromParams(3.2, 4.7, 5.9, 90, 90, 90)],
    ["rhomb", () => fromParams(4.2, 4.2, 4.2, 70, 70, 70)],
    ["monoC", () => fromParams(5.1, 6.3, 7.2, 90, 104, 90)],
    ["tetraI", () => [[-1.9, 1.9, 3.3], [1.9, -1.9, 3.3], [1.9, 1.9, -3.3]]],
    ["orthoF", () => [[0, 2.4, 3.1], [1.8, 0, 3.1], [1.8, 2.4, 0]]],
    ["cubicP_rot", () => {
      const t = 0.37;
      const rz = [[Math.cos(t), -Math.sin(t), 0], [Math.sin(t), Math.cos(t), 0], [0, 0, 1]];
      return mul(fromParams(4, 4, 4, 90, 90, 90), rz);
    }],
  ];
  for (let n = 0; n < 360; n++) {
    const kind = n % 6;
    let lat: number[][];
    let id: string;
    if (kind === 0) {
      id = `general${n}`;
      lat = fromParams(u(2, 10), u(2, 10), u(2, 10), u(60, 120), u(60, 120), u(60, 120));
      if (!(Math.abs(matGetDeterminantD3(lat as Mat3)) > 1)) lat = fromParams(3, 4, 5, 80, 95, 100);
      lat = lat.map((r) => r.map((x) => x + u(-0.3, 0.3)));
    } else if (kind === 1) {
      id = `skewed${n}`;
      const base = fromParams(u(2, 6), u(2, 6), u(2, 6), u(80, 100), u(80, 100), u(80, 100));
      lat = mul(unimodular(rnd, 6 + Math.floor(u(0, 8))), base);
    } else if (kind === 2) {
      const [name, f] = symmetric[Math.floor(rnd() * symmetric.length)];
      id = `sym:${name}${n}`;
      lat = mul(unimodular(rnd, 3 + Math.floor(u(0, 6))), f());
    } else if (kind === 3) {
      const [name, f] = symmetric[Math.floor(rnd() * symmetric.length)];
      id = `symnoise:${name}${n}`;
      const amp = [1e-7, 1e-4, 1e-2][n % 3];
      lat = mul(unimodular(rnd, 3 + Math.floor(u(0, 5))), f()).map((r) => r.map((x) => x + u(-amp, amp)));
    } else if (kind === 4) {
      id = `lefthanded${n}`;
      const base = rnd() < 0.5
        ? fromParams(u(2, 8), u(2, 8), u(2, 8), u(60, 120), u(60, 120), u(60, 120))
        : symmetric[Math.floor(rnd() * symmetric.length)][1]();
      lat = mul(unimodular(rnd, Math.floor(u(0, 5))), base);
      if (matGetDeterminantD3(lat as Mat3) > 0) lat = [lat[1], lat[0], lat[2]];
    } else {
      id = `degenerate${n}`;
      const r = rnd();
      if (r < 0.4) {
        // nearly coplanar: thin cells
        const t = [1e-2, 1e-3, 0.05][n % 3];
        lat = [[u(2, 5), 0, 0], [u(-1, 1), u(2, 5), 0], [u(-2, 2), u(-2, 2), t * u(0.5, 1.5)]];
      } else if (r < 0.7) {
        // one very short vector, one very long
        lat = fromParams(u(0.3, 0.8), u(3, 6), u(20, 40), u(70, 110), u(70, 110), u(70, 110));
      } else if (r < 0.85) {
        // nearly equal lengths and angles close to 90 or 60 (ties within eps)
        const d = 1e-6;
        lat = fromParams(
          4 + u(-d, d),
          4 + u(-d, d),
          4 + u(-d, d),
          60 + u(-d, d),
          60 + u(-d, d),
          90 + u(-d, d),
        );
        lat = mul(unimodular(rnd, 4), lat);
      } else {
        // exactly singular
        lat = [[3, 0, 0], [0, 3, 0], [3, 3, 0]];
      }
    }
    out.push({ id, lattice: lat });
  }
  // Very elongated bases that need many reduction steps (they probe the attempt limits).
  for (const k of [8, 15, 18, 19, 20, 30, 60, 99, 101, 150, 400, 2000, 12000]) {
    out.push({ id: `long${k}`, lattice: [[1.1, 0, 0], [k * 1.1 + 0.31, 0.9, 0], [0.2, k * 0.9 + 0.4, 1.3]] });
  }
  return out;
}

/** Rows → columns. */
export function toColumns(rows: number[][]): Mat3 {
  return mat3((i) => [rows[0][i], rows[1][i], rows[2][i]]);
}

/** All test lattices (rows), corpus ones first. */
export function allLattices(): { id: string; lattice: number[][] }[] {
  return [...testCells(100).map((c) => ({ id: c.id, lattice: c.lattice })), ...randomLattices()];
}

/** Element-wise |a-b| ≤ tol for 3×3 (or both null). */
export function close(a: Mat3 | null, b: Mat3 | null, tol: number): boolean {
  if (a === null || b === null) return a === b;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) if (!(Math.abs(a[i][j] - b[i][j]) <= tol)) return false;
  }
  return true;
}

/** Ask python spglib for `what` on every lattice at each eps. */
export async function reference(
  lattices: { id: string; lattice: number[][] }[],
  what: "delaunay" | "niggli",
  epss: number[],
): Promise<{ id: string; eps: number; lattice: Mat3; expect: Mat3 | null }[]> {
  const reqs: SpglibRequest[] = [];
  for (const eps of epss) {
    for (const l of lattices) {
      reqs.push({
        id: `${l.id}@${eps}`,
        lattice: l.lattice,
        positions: [[0, 0, 0]],
        numbers: [1],
        what: [what],
        eps,
      });
    }
  }
  const ans = await spglibReference(reqs);
  return ans.map((a, k) => {
    if (a.error) throw new Error(`${a.id}: ${a.error}`);
    const r = a[what] as number[][] | null;
    return {
      id: a.id,
      eps: reqs[k].eps!,
      lattice: toColumns(reqs[k].lattice),
      expect: r === null ? null : toColumns(r),
    };
  });
}
