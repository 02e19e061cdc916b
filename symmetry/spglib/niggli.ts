/**
 * Niggli reduction of a lattice: spglib 2.0.2's `niggli.c` (niggli 0.1.x by Atsushi Togo,
 * BSD-3-Clause; see ./README.md) in TypeScript.
 *
 * The eight steps of Křivý & Gruber with spglib's eps comparisons and sign choices; each step
 * multiplies the current lattice by its integer change of basis (the floating-point path of
 * spglib 2.0.2, which python spglib 2.0.2 matches bit for bit). Lattices hold the basis vectors
 * as columns.
 *
 * @module
 */
import type { IMat3, Mat3 } from "./types.ts";
import { mat3, matCopyMatrixD3 } from "./mathfunc.ts";

/** Passes over the eight steps before giving up. */
const NIGGLI_MAX_NUM_LOOP = 100;

/**
 * spglib `niggli_reduce`: the Niggli-reduced lattice (columns as vectors), or null when the
 * steps do not converge. The input is not modified.
 */
export function niggliReduce(lattice: Mat3, eps: number): Mat3 | null {
  const p: NiggliParams = {
    A: 0,
    B: 0,
    C: 0,
    eta: 0,
    xi: 0,
    zeta: 0,
    eps,
    l: 0,
    m: 0,
    n: 0,
    lattice: matCopyMatrixD3(lattice),
  };
  const steps = [step1, step2, step3, step4, step5, step6, step7, step8];

  setParameters(p);
  for (let i = 0; i < NIGGLI_MAX_NUM_LOOP; i++) {
    let j = 0;
    for (; j < 8; j++) {
      const tmat = steps[j](p);
      if (tmat !== null) {
        p.lattice = multiply(p.lattice, tmat);
        setParameters(p);
        if (j === 1 || j === 4 || j === 5 || j === 6 || j === 7) break;
      }
    }
    if (j === 8) return p.lattice;
  }
  return null;
}

/** The Niggli parameters of the current lattice. */
interface NiggliParams {
  A: number;
  B: number;
  C: number;
  eta: number;
  xi: number;
  zeta: number;
  eps: number;
  l: number;
  m: number;
  n: number;
  lattice: Mat3;
}

/** C-order matrix product L·R (sums accumulated k = 0, 1, 2). */
function multiply(l: Mat3, r: Mat3 | IMat3): Mat3 {
  const m: Mat3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += l[i][k] * r[k][j];
      m[i][j] = s;
    }
  }
  return m;
}

function transpose(m: Mat3): Mat3 {
  return mat3((i) => [m[0][i], m[1][i], m[2][i]]);
}

function diag(i: number, j: number, k: number): IMat3 {
  return [[i, 0, 0], [0, j, 0], [0, 0, k]];
}

function setParameters(p: NiggliParams): void {
  const g = multiply(transpose(p.lattice), p.lattice);
  p.A = g[0][0];
  p.B = g[1][1];
  p.C = g[2][2];
  p.xi = g[1][2] * 2;
  p.eta = g[0][2] * 2;
  p.zeta = g[0][1] * 2;
  setAngleTypes(p);
}

function setAngleTypes(p: NiggliParams): void {
  const sign = (x: number) => (x < -p.eps ? -1 : x > p.eps ? 1 : 0);
  p.l = sign(p.xi);
  p.m = sign(p.eta);
  p.n = sign(p.zeta);
}

/** A1: A > B, or A = B and |ξ| > |η| → swap a and b. */
function step1(p: NiggliParams): IMat3 | null {
  if (
    p.A > p.B + p.eps ||
    (!(Math.abs(p.A - p.B) > p.eps) && Math.abs(p.xi) > Math.abs(p.eta) + p.eps)
  ) {
    return [[0, -1, 0], [-1, 0, 0], [0, 0, -1]];
  }
  return null;
}

/** A2: B > C, or B = C and |η| > |ζ| → swap b and c. */
function step2(p: NiggliParams): IMat3 | null {
  if (
    p.B > p.C + p.eps ||
    (!(Math.abs(p.B - p.C) > p.eps) && Math.abs(p.eta) > Math.abs(p.zeta) + p.eps)
  ) {
    return [[-1, 0, 0], [0, 0, -1], [0, -1, 0]];
  }
  return null;
}

/** A3: all angles acute → make ξ, η, ζ positive. */
function step3(p: NiggliParams): IMat3 | null {
  if (p.l * p.m * p.n === 1) {
    return diag(p.l === -1 ? -1 : 1, p.m === -1 ? -1 : 1, p.n === -1 ? -1 : 1);
  }
  return null;
}

/** A4: not all acute → make ξ, η, ζ non-positive. */
function step4(p: NiggliParams): IMat3 | null {
  if (p.l === -1 && p.m === -1 && p.n === -1) return null;
  const lmn = p.l * p.m * p.n;
  if (lmn === 0 || lmn === -1) {
    let i = 1;
    let j = 1;
    let k = 1;
    let r = -1;
    if (p.l === 1) i = -1;
    if (p.l === 0) r = 0;
    if (p.m === 1) j = -1;
    if (p.m === 0) r = 1;
    if (p.n === 1) k = -1;
    if (p.n === 0) r = 2;
    if (i * j * k === -1) {
      if (r === 0) i = -1;
      if (r === 1) j = -1;
      if (r === 2) k = -1;
    }
    return diag(i, j, k);
  }
  return null;
}

/** A5: |ξ| > B (or its boundary cases) → c ∓ b. */
function step5(p: NiggliParams): IMat3 | null {
  if (
    Math.abs(p.xi) > p.B + p.eps ||
    (!(Math.abs(p.B - p.xi) > p.eps) && 2 * p.eta < p.zeta - p.eps) ||
    (!(Math.abs(p.B + p.xi) > p.eps) && p.zeta < -p.eps)
  ) {
    const t = diag(1, 1, 1);
    if (p.xi > 0) t[1][2] = -1;
    if (p.xi < 0) t[1][2] = 1;
    return t;
  }
  return null;
}

/** A6: |η| > A (or its boundary cases) → c ∓ a. */
function step6(p: NiggliParams): IMat3 | null {
  if (
    Math.abs(p.eta) > p.A + p.eps ||
    (!(Math.abs(p.A - p.eta) > p.eps) && 2 * p.xi < p.zeta - p.eps) ||
    (!(Math.abs(p.A + p.eta) > p.eps) && p.zeta < -p.eps)
  ) {
    const t = diag(1, 1, 1);
    if (p.eta > 0) t[0][2] = -1;
    if (p.eta < 0) t[0][2] = 1;
    return t;
  }
  return null;
}

/** A7: |ζ| > A (or its boundary cases) → b ∓ a. */
function step7(p: NiggliParams): IMat3 | null {
  if (
    Math.abs(p.zeta) > p.A + p.eps ||
    (!(Math.abs(p.A - p.zeta) > p.eps) && 2 * p.xi < p.eta - p.eps) ||
    (!(Math.abs(p.A + p.zeta) > p.eps) && p.eta < -p.eps)
  ) {
    const t = diag(1, 1, 1);
    if (p.zeta > 0) t[0][1] = -1;
    if (p.zeta < 0) t[0][1] = 1;
    return t;
  }
  return null;
}

/** A8: ξ + η + ζ + A + B < 0 (or its boundary case) → c + a + b. */
function step8(p: NiggliParams): IMat3 | null {
  const s = p.xi + p.eta + p.zeta + p.A + p.B;
  if (s < -p.eps || (!(Math.abs(s) > p.eps) && 2 * (p.A + p.eta) + p.zeta > p.eps)) {
    return [[1, 0, 1], [0, 1, 1], [0, 0, 1]];
  }
  return null;
}
