/**
 * Crystal lattices with pymatgen's conventions.
 *
 * Rows of `matrix` are the lattice vectors a, b, c in Å. `Lattice.fromParameters`
 * uses pymatgen's `Lattice.from_parameters` (vesta=False) orientation: c along z,
 * a in the xz plane. Fractional ↔ Cartesian: `cart = frac · matrix`.
 *
 * @module
 */

/** A 3-vector. */
export type Vec3 = [number, number, number];
/** A 3×3 matrix, row-major. */
export type Mat3 = [Vec3, Vec3, Vec3];

const DEG = Math.PI / 180;

function absCap(v: number): number {
  return Math.max(Math.min(v, 1), -1);
}

/** A periodic lattice. */
export class Lattice {
  /** Row vectors a, b, c. */
  readonly matrix: Mat3;
  #inv?: Mat3;

  /** @param matrix Rows are the lattice vectors. */
  constructor(matrix: Mat3 | number[][]) {
    this.matrix = matrix.map((r) => [r[0], r[1], r[2]]) as Mat3;
  }

  /**
   * pymatgen `Lattice.from_parameters(a, b, c, alpha, beta, gamma)`.
   *
   * @example Cubic
   * ```ts
   * import { Lattice } from "./lattice.ts";
   * const l = Lattice.fromParameters(5.64, 5.64, 5.64, 90, 90, 90);
   * if (Math.abs(l.volume - 5.64 ** 3) > 1e-9) throw new Error();
   * ```
   */
  static fromParameters(a: number, b: number, c: number, alpha: number, beta: number, gamma: number): Lattice {
    const [ca, cb, cg] = [Math.cos(alpha * DEG), Math.cos(beta * DEG), Math.cos(gamma * DEG)];
    const [sa, sb] = [Math.sin(alpha * DEG), Math.sin(beta * DEG)];
    const val = absCap((ca * cb - cg) / (sa * sb));
    const gammaStar = Math.acos(val);
    return new Lattice([
      [a * sb, 0, a * cb],
      [-b * sa * Math.cos(gammaStar), b * sa * Math.sin(gammaStar), b * ca],
      [0, 0, c],
    ]);
  }

  /** Lengths a, b, c in Å. */
  get abc(): Vec3 {
    return this.matrix.map((r) => Math.hypot(r[0], r[1], r[2])) as Vec3;
  }

  /** Angles α, β, γ in degrees, computed as pymatgen does. */
  get angles(): Vec3 {
    const m = this.matrix, l = this.abc;
    const ang = (i: number, j: number, k: number) =>
      Math.acos(absCap(dot(m[j], m[k]) / (l[j] * l[k]))) / DEG + 0 * i;
    return [ang(0, 1, 2), ang(1, 2, 0), ang(2, 0, 1)];
  }

  /** Cell volume in Å³: |(a × b) · c|, evaluated in pymatgen's order so the last digit agrees. */
  get volume(): number {
    const [a, b, c] = this.matrix;
    const cross = [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
    return Math.abs(cross[0] * c[0] + cross[1] * c[1] + cross[2] * c[2]);
  }

  /** Inverse of `matrix`. */
  get inverse(): Mat3 {
    return this.#inv ??= inv3(this.matrix);
  }

  /** Cartesian coordinates of fractional `f`. */
  toCartesian(f: Vec3): Vec3 {
    const m = this.matrix;
    return [
      f[0] * m[0][0] + f[1] * m[1][0] + f[2] * m[2][0],
      f[0] * m[0][1] + f[1] * m[1][1] + f[2] * m[2][1],
      f[0] * m[0][2] + f[1] * m[1][2] + f[2] * m[2][2],
    ];
  }

  /** Fractional coordinates of Cartesian `c`. */
  toFractional(c: Vec3): Vec3 {
    const m = this.inverse;
    return [
      c[0] * m[0][0] + c[1] * m[1][0] + c[2] * m[2][0],
      c[0] * m[0][1] + c[1] * m[1][1] + c[2] * m[2][1],
      c[0] * m[0][2] + c[1] * m[1][2] + c[2] * m[2][2],
    ];
  }

  /** Metric tensor G = M Mᵀ. */
  get metric(): Mat3 {
    const m = this.matrix;
    return [0, 1, 2].map((i) => [0, 1, 2].map((j) => dot(m[i], m[j]))) as Mat3;
  }
}

/** Dot product. */
export function dot(a: readonly number[], b: readonly number[]): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/** Determinant of a 3×3 matrix. */
export function det(m: readonly (readonly number[])[]): number {
  return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
    m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
    m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

/** Inverse of a 3×3 matrix. */
export function inv3(m: readonly (readonly number[])[]): Mat3 {
  const d = det(m);
  const c = (r1: number, c1: number, r2: number, c2: number) => m[r1][c1] * m[r2][c2] - m[r1][c2] * m[r2][c1];
  return [
    [c(1, 1, 2, 2) / d, -c(0, 1, 2, 2) / d, c(0, 1, 1, 2) / d],
    [-c(1, 0, 2, 2) / d, c(0, 0, 2, 2) / d, -c(0, 0, 1, 2) / d],
    [c(1, 0, 2, 1) / d, -c(0, 0, 2, 1) / d, c(0, 0, 1, 1) / d],
  ];
}

/** Matrix product A·B of 3×3 matrices. */
export function matmul3(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): Mat3 {
  return [0, 1, 2].map((i) => [0, 1, 2].map((j) => a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j])) as Mat3;
}
