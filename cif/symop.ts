/**
 * Symmetry operations as pymatgen's `SymmOp`: parse `x, y, z` strings
 * (`SymmOp.from_xyz_string`) and print them (`SymmOp.as_xyz_string`).
 *
 * @module
 */
import type { Mat3, Vec3 } from "./lattice.ts";

/** An affine operation on fractional coordinates: x' = R·x + t. */
export interface SymOp {
  rot: Mat3;
  trans: Vec3;
}

/** Thrown when an operator string cannot be parsed. */
export class SymOpError extends Error {
  override name = "SymOpError";
}

const RE_ROT = /([+-]?)([\d.]*)\/?([\d.]*)([x-z])/g;
const RE_TRANS = /([+-]?)([\d.]+)\/?([\d.]*)(?![x-z])/g;

function pyFloat(s: string): number {
  if (!/^(\d+\.?\d*|\.\d+)$/.test(s)) throw new SymOpError(`could not convert string to float: '${s}'`);
  return Number(s);
}

/**
 * Parse an operator like `-x+1/2, y, z` with pymatgen's regular expressions.
 *
 * @param xyz The operator text.
 * @returns The operation.
 * @throws {SymOpError} When a number cannot be read or there are more than three parts.
 * @example Inversion plus translation
 * ```ts
 * import { parseXyz } from "./symop.ts";
 * const op = parseXyz("-x+1/2, y, z");
 * if (op.rot[0][0] !== -1 || op.trans[0] !== 0.5) throw new Error();
 * ```
 */
export function parseXyz(xyz: string): SymOp {
  const rot: Mat3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  const trans: Vec3 = [0, 0, 0];
  const toks = xyz.trim().replaceAll(" ", "").toLowerCase().split(",");
  toks.forEach((tok, i) => {
    if (i > 2) throw new SymOpError(`Operator has more than three parts: ${xyz}`);
    for (const m of tok.matchAll(RE_ROT)) {
      let factor = m[1] === "-" ? -1 : 1;
      if (m[2] !== "") factor *= m[3] !== "" ? pyFloat(m[2]) / pyFloat(m[3]) : pyFloat(m[2]);
      rot[i][m[4].charCodeAt(0) - 120] = factor;
    }
    for (const m of tok.matchAll(RE_TRANS)) {
      const factor = m[1] === "-" ? -1 : 1;
      const num = m[3] !== "" ? pyFloat(m[2]) / pyFloat(m[3]) : pyFloat(m[2]);
      trans[i] = num * factor;
    }
  });
  return { rot, trans };
}

/** Apply an operation to fractional coordinates. */
export function applyOp(op: SymOp, x: Vec3): Vec3 {
  const r = op.rot, t = op.trans;
  return [
    r[0][0] * x[0] + r[0][1] * x[1] + r[0][2] * x[2] + t[0],
    r[1][0] * x[0] + r[1][1] * x[1] + r[1][2] * x[2] + t[1],
    r[2][0] * x[0] + r[2][1] * x[1] + r[2][2] * x[2] + t[2],
  ];
}

/**
 * Python's `Fraction(x).limit_denominator(maxDen)` as `[numerator, denominator]`.
 *
 * @param x A finite float.
 * @param maxDen Largest denominator (Python's default is 1,000,000).
 */
export function limitDenominator(x: number, maxDen = 1_000_000): [number, number] {
  // exact rational of the double, then Python's best-approximation algorithm (BigInt)
  const [n0, d0] = exactRational(x);
  if (d0 <= BigInt(maxDen)) return [Number(n0), Number(d0)];
  let [p0, q0, p1, q1] = [0n, 1n, 1n, 0n];
  let n = n0, d = d0;
  const md = BigInt(maxDen);
  for (;;) {
    const a = floorDiv(n, d);
    const q2 = q0 + a * q1;
    if (q2 > md) break;
    [p0, q0, p1, q1] = [p1, q1, p0 + a * p1, q2];
    [n, d] = [d, n - a * d];
  }
  const k = (md - q0) / q1;
  const b1n = p0 + k * p1, b1d = q0 + k * q1;
  const b2n = p1, b2d = q1;
  // choose the closer bound; ties go to bound2 (Python: `if abs(bound2 - self) <= abs(bound1 - self)`)
  const diff1 = absBig(b1n * d0 - n0 * b1d) * b2d;
  const diff2 = absBig(b2n * d0 - n0 * b2d) * b1d;
  return diff2 <= diff1 ? [Number(b2n), Number(b2d)] : [Number(b1n), Number(b1d)];
}

function absBig(a: bigint): bigint {
  return a < 0n ? -a : a;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

function exactRational(x: number): [bigint, bigint] {
  if (Number.isInteger(x)) return [BigInt(x), 1n];
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const bits = buf.getBigUint64(0);
  const sign = bits >> 63n ? -1n : 1n;
  const expBits = Number((bits >> 52n) & 0x7ffn);
  let m = bits & ((1n << 52n) - 1n);
  let e: number;
  if (expBits === 0) e = -1074;
  else {
    m |= 1n << 52n;
    e = expBits - 1075;
  }
  let den = 1n << BigInt(-e);
  // reduce
  while (m % 2n === 0n && den > 1n) {
    m /= 2n;
    den /= 2n;
  }
  return [sign * m, den];
}

function fracStr([n, d]: [number, number]): string {
  return d === 1 ? String(n) : `${n}/${d}`;
}

/**
 * pymatgen `SymmOp.as_xyz_string()` (via `transformation_to_string`).
 *
 * @param op The operation.
 * @returns Text such as `"-x+1/2, y, z"`.
 */
export function opToXyz(op: SymOp): string {
  const dims = ["x", "y", "z"];
  const parts: string[] = [];
  for (let i = 0; i < 3; i++) {
    let s = "";
    for (let j = 0; j < 3; j++) {
      const v = op.rot[i][j];
      if (v !== 0) {
        const [num, den] = limitDenominator(v);
        if (s !== "" && num >= 0) s += "+";
        if (Math.abs(num) !== 1) s += String(num);
        else if (num < 0) s += "-";
        s += dims[j];
        if (den !== 1) s += "/" + den;
      }
    }
    const t = op.trans[i];
    if (t !== 0) s += (t > 0 && s !== "" ? "+" : "") + fracStr(limitDenominator(t));
    if (s === "") s = "0";
    parts.push(s);
  }
  return parts.join(", ");
}
