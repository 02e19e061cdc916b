/**
 * CPython's `list.sort` order for comparators that are not a total order.
 *
 * pymatgen sorts by electronegativity, which is NaN for some elements; with NaN
 * keys Python's result depends on its algorithm. For lists shorter than 64 (every
 * composition and almost every site list) CPython's timsort is exactly: detect the
 * leading run (reversing a strictly descending one), then binary insertion sort.
 * We reproduce that; longer lists use a stable merge sort, which gives the same
 * result whenever the comparator is consistent.
 *
 * @module
 */

/**
 * Sort like Python's `sorted(items, key=...)` with `lt(a, b)` playing `a < b`.
 *
 * @param items Items to sort (not modified).
 * @param lt Strict "less than" as Python would evaluate it.
 * @returns A new sorted array.
 */
export function pySorted<T>(items: readonly T[], lt: (a: T, b: T) => boolean): T[] {
  const a = items.slice();
  const n = a.length;
  if (n < 2) return a;
  if (n >= 64) return mergeSort(a, lt);
  // count_run: ascending (non-descending) or strictly descending
  let run = 1;
  if (lt(a[1], a[0])) {
    run = 2;
    while (run < n && lt(a[run], a[run - 1])) run++;
    a.splice(0, run, ...a.slice(0, run).reverse());
  } else {
    run = 2;
    while (run < n && !lt(a[run], a[run - 1])) run++;
  }
  // binarysort(lo=0, hi=n, start=run)
  for (let start = run; start < n; start++) {
    const pivot = a[start];
    let l = 0, r = start;
    while (l < r) {
      const p = l + ((r - l) >> 1);
      if (lt(pivot, a[p])) r = p;
      else l = p + 1;
    }
    for (let p = start; p > l; p--) a[p] = a[p - 1];
    a[l] = pivot;
  }
  return a;
}

function mergeSort<T>(a: T[], lt: (a: T, b: T) => boolean): T[] {
  if (a.length < 2) return a;
  const mid = a.length >> 1;
  const left = mergeSort(a.slice(0, mid), lt), right = mergeSort(a.slice(mid), lt);
  const out: T[] = [];
  let i = 0, j = 0;
  while (i < left.length && j < right.length) {
    if (lt(right[j], left[i])) out.push(right[j++]);
    else out.push(left[i++]);
  }
  while (i < left.length) out.push(left[i++]);
  while (j < right.length) out.push(right[j++]);
  return out;
}

/**
 * Python's `round(x)` and numpy's `np.round` on floats: nearest integer, ties to even.
 *
 * @param x A float.
 * @returns The rounded value (`2.5 → 2`, `-1.5 → -2`).
 */
export function roundHalfEven(x: number): number {
  // Math.round breaks ties upwards; Python and numpy go to the even neighbour
  if (Math.abs(x - Math.trunc(x)) === 0.5) return 2 * Math.round(x / 2);
  return Math.round(x);
}

/** Python's `float.__repr__` / `str(float)`: shortest round-trip digits, Python's exponent rules. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const ax = Math.abs(x);
  if (ax >= 1e16 || ax < 1e-4) {
    // Python: d.ddde+XX with at least two exponent digits
    const [mant, exp] = x.toExponential().split("e");
    const e = Number(exp);
    const sign = e < 0 ? "-" : "+";
    const digits = String(Math.abs(e)).padStart(2, "0");
    return `${mant}e${sign}${digits}`;
  }
  const s = String(x);
  if (s.includes("e")) {
    // JS switches to exponent form at 1e21 / 1e-7, which the branch above excludes
    return s;
  }
  return s.includes(".") ? s : s + ".0";
}

/** True when |x|·10^n lies exactly halfway between two integers (exact binary arithmetic). */
function isExactTie(x: number, n: number): boolean {
  if (!Number.isFinite(x) || x === 0) return false;
  // x = m · 2^e exactly, with m an odd-or-even 53-bit integer
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, Math.abs(x));
  const bits = buf.getBigUint64(0);
  const expBits = Number((bits >> 52n) & 0x7ffn);
  let m = bits & ((1n << 52n) - 1n);
  let e: number;
  if (expBits === 0) e = -1074;
  else {
    m |= 1n << 52n;
    e = expBits - 1075;
  }
  if (e >= 0) return false;
  // |x|·10^n = m·10^n / 2^-e ; a tie means 2·m·10^n / 2^-e is an odd integer
  const num = 2n * m * 10n ** BigInt(n);
  const den = 1n << BigInt(-e);
  if (num % den !== 0n) return false;
  return (num / den) % 2n === 1n;
}

/**
 * Python's `"{:.nf}".format(x)`: correctly rounded, ties to even on the exact
 * binary value. JavaScript's `toFixed` breaks exact ties upwards, so those are fixed.
 *
 * @param x The number.
 * @param n Digits after the point (0–20).
 * @returns The formatted string, e.g. `pyToFixed(0.03125, 4) === "0.0312"`.
 */
export function pyToFixed(x: number, n: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const neg = x < 0 || Object.is(x, -0);
  const ax = Math.abs(x);
  if (ax >= 1e21) return (neg ? "-" : "") + BigInt(Math.round(ax)).toString() + (n > 0 ? "." + "0".repeat(n) : "");
  let s = ax.toFixed(n);
  if (isExactTie(ax, n)) {
    const digits = s.replace(".", "");
    const last = Number(digits[digits.length - 1]);
    if (last % 2 === 1) {
      const lower = (BigInt(digits) - 1n).toString().padStart(digits.length, "0");
      s = n > 0 ? lower.slice(0, lower.length - n) + "." + lower.slice(lower.length - n) : lower;
      if (s.startsWith(".")) s = "0" + s;
    }
  }
  return (neg ? "-" : "") + s;
}

/** Python's `round(x, n)` for floats (n ≥ 0): correctly rounded, ties to even. */
export function pyRound(x: number, n: number): number {
  if (!Number.isFinite(x)) return x;
  return Number(pyToFixed(x, n));
}
