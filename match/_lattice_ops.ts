/**
 * Lattice algorithms that StructureMatcher needs, ported from pymatgen 2022.11.7
 * `pymatgen/core/lattice.py`: LLL reduction (`Lattice._calculate_lll`), Niggli
 * reduction (`get_niggli_reduced_lattice`), lattice points in a sphere, and
 * `find_all_mappings`. Private to `match/`.
 *
 * Matrices are row-major with the lattice vectors as rows (pymatgen's convention).
 *
 * @module
 */
import { det, dot, inv3, Lattice, type Mat3, matmul3, type Vec3 } from "../cif/lattice.ts";
import { roundHalfEven } from "../cif/python_compat.ts";

const DEG = 180 / Math.PI;

/** numpy `np.round` / Python `round` on floats: half to even (shared with cif/). */
export { roundHalfEven };

/** C `round()` (Cython code in pymatgen's `coord_cython`): half away from zero. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * Lattice parameters `[a, b, c, alpha, beta, gamma]` as pymatgen's `Lattice.parameters`,
 * with numpy's operation order (`sqrt(sum(m**2))`, `arccos(x) * 180.0 / pi`) so that
 * averaged lattices agree to the last bit more often: LLL reduction of an averaged
 * lattice can hinge on a size-reduction coefficient of exactly 0.5.
 */
export function parameters(m: Mat3): [number, number, number, number, number, number] {
  const len = m.map((r) => Math.sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]));
  const ang = [0, 1, 2].map((i) => {
    const j = (i + 1) % 3, k = (i + 2) % 3;
    const x = Math.max(Math.min(dot(m[j], m[k]) / (len[j] * len[k]), 1), -1);
    return Math.acos(x) * 180.0 / Math.PI;
  });
  return [len[0], len[1], len[2], ang[0], ang[1], ang[2]];
}

/** Lengths of the rows of the reciprocal lattice (with 2π), as `lattice.reciprocal_lattice.abc`. */
export function reciprocalAbc(m: Mat3): Vec3 {
  const inv = inv3(m); // reciprocal matrix = inv(m).T * 2π; its rows are the columns of inv
  return [0, 1, 2].map((i) => {
    const [x, y, z] = [inv[0][i] * 2 * Math.PI, inv[1][i] * 2 * Math.PI, inv[2][i] * 2 * Math.PI];
    return Math.sqrt(x * x + y * y + z * z); // numpy: sqrt(sum(m**2)) of inv(m).T * 2π
  }) as Vec3;
}

/**
 * pymatgen `Lattice._calculate_lll(delta=0.75)`: LLL-reduced matrix and the mapping
 * with `reduced = mapping · matrix`.
 *
 * @param matrix Lattice matrix (rows are vectors).
 * @param delta Lovász parameter.
 * @returns `[reduced, mapping]`.
 */
export function lllReduce(matrix: Mat3, delta = 0.75): [Mat3, Mat3] {
  // columns are basis vectors in pymatgen's code: a[:, i] = matrix[i]
  const a = [0, 1, 2].map((i) => [...matrix[i]]); // a[i] = column i
  const b = [[0, 0, 0], [0, 0, 0], [0, 0, 0]]; // b[i] = Gram-Schmidt vector i
  const u = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  const m = [0, 0, 0];
  const mapping = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]; // mapping[i] = column i of pymatgen's mapping
  b[0] = [...a[0]];
  m[0] = dot(b[0], b[0]);
  const gs = (i: number) => {
    for (let j = 0; j < i; j++) u[i][j] = dot(a[i], b[j]) / m[j];
    const v = [...a[i]];
    for (let j = 0; j < i; j++) for (let c = 0; c < 3; c++) v[c] -= b[j][c] * u[i][j];
    b[i] = v;
    m[i] = dot(b[i], b[i]);
  };
  for (let i = 1; i < 3; i++) gs(i);
  let k = 2;
  let guard = 0;
  while (k <= 3 && guard++ < 10000) {
    for (let i = k - 1; i > 0; i--) {
      const q = roundHalfEven(u[k - 1][i - 1]);
      if (q !== 0) {
        for (let c = 0; c < 3; c++) {
          a[k - 1][c] -= q * a[i - 1][c];
          mapping[k - 1][c] -= q * mapping[i - 1][c];
        }
        const uu = [...u[i - 1].slice(0, i - 1), 1];
        for (let j = 0; j < i; j++) u[k - 1][j] -= q * uu[j];
      }
    }
    if (dot(b[k - 1], b[k - 1]) >= (delta - Math.abs(u[k - 1][k - 2]) ** 2) * dot(b[k - 2], b[k - 2])) {
      k += 1;
    } else {
      [a[k - 1], a[k - 2]] = [a[k - 2], a[k - 1]];
      [mapping[k - 1], mapping[k - 2]] = [mapping[k - 2], mapping[k - 1]];
      for (let s = k - 1; s < k + 1; s++) gs(s - 1);
      if (k > 2) k -= 1;
      else {
        // u[k:3, k-2:k] = lstsq(diag(m[k-2:k]), p.T).T with p = a[:, k:3].T · b[:, k-2:k]
        for (let r = k; r < 3; r++) for (let c = k - 2; c < k; c++) u[r][c] = dot(a[r], b[c]) / m[c];
      }
    }
  }
  return [a.map((r) => [r[0], r[1], r[2]]) as Mat3, mapping.map((r) => [r[0], r[1], r[2]]) as Mat3];
}

/** Most vector pairs {@link findAllMappings} will compare before refusing. */
export const MAX_ANGLE_PAIRS = 5_000_000;

/** Most lattice points {@link latticePointsInSphere} will enumerate before refusing. */
export const MAX_SPHERE_POINTS = 2_000_000;

/**
 * Integer lattice points `n·matrix` within `r` of the origin, in the order of
 * pymatgen's `Lattice.get_points_in_sphere([[0,0,0]], [0,0,0], r)`, which calls
 * the Cython `find_points_in_spheres`: images are generated in i, j, k loop order
 * inside the box (-r, r)³, binned into cubes of edge r (a 3×3×3 grid), and read
 * cube by cube (cube index 9i + 3j + k ascending), each cube's linked list from
 * the last point inserted to the first. The order decides which mapping
 * `find_mapping` returns first (the orientation of the Niggli cell), and with it
 * the last digits of RMS values.
 *
 * @param matrix Lattice matrix.
 * @param r Radius in Å.
 * @returns Fractional (integer) and Cartesian coordinates and distances.
 * @throws {RangeError} When the sphere would hold more than {@link MAX_SPHERE_POINTS} points, or the input is not finite.
 */
export function latticePointsInSphere(
  matrix: Mat3,
  r: number,
): { frac: Vec3[]; cart: Vec3[]; dist: number[] } {
  if (!Number.isFinite(r) || matrix.flat().some((x) => !Number.isFinite(x))) {
    throw new RangeError(`Cannot search lattice points: radius ${r} or lattice is not finite`);
  }
  const tol = 1e-8;
  // pymatgen (neighbors.pyx): below min_r = 1 it searches min_r + tol and filters the distances
  const rr = r < 1 ? 1 + tol : r;
  const ledge = rr < 0.1 ? 0.1 : rr;
  const vmin = -rr - tol, vmax = rr + tol;
  const rec = reciprocalAbc(matrix);
  const maxr = rec.map((x) => Math.ceil((rr + 0.15) * x / (2 * Math.PI)));
  const ncube = Math.ceil((vmax - vmin) / ledge);
  // pymatgen would enumerate tens of millions of points for needle- or slab-like cells (0.5 × 0.5 × 1000 Å
  // passes CrystaLLM's is_sensible) and run out of memory or time; refuse such searches instead
  const expected = (4 / 3) * Math.PI * rr ** 3 / Math.abs(det(matrix));
  const boxes = maxr.reduce((p, m) => p * (2 * m + 2), 1);
  if (!(expected <= MAX_SPHERE_POINTS) || !(boxes <= 50 * MAX_SPHERE_POINTS)) {
    throw new RangeError(
      `Cannot search lattice points: about ${expected.toExponential(1)} points within ${
        r.toFixed(1)
      } Å (limit ${MAX_SPHERE_POINTS})`,
    );
  }
  const r2 = rr * rr;
  // linked cell lists: cells[id] holds points in insertion order (read back to front)
  const cells: { f: Vec3; c: Vec3 }[][] = Array.from({ length: ncube ** 3 }, () => []);
  const lo = maxr.map((m) => Math.floor(-m - 1e-8)), hi = maxr.map((m) => Math.ceil(m + 1e-8));
  for (let i = lo[0]; i < hi[0]; i++) {
    for (let j = lo[1]; j < hi[1]; j++) {
      for (let k = lo[2]; k < hi[2]; k++) {
        const x = i * matrix[0][0] + j * matrix[1][0] + k * matrix[2][0];
        const y = i * matrix[0][1] + j * matrix[1][1] + k * matrix[2][1];
        const z = i * matrix[0][2] + j * matrix[1][2] + k * matrix[2][2];
        // points outside the sphere are never returned, so they are not stored (the order is unchanged)
        if (x * x + y * y + z * z >= r2 + tol) continue;
        if (x > vmin && x < vmax && y > vmin && y < vmax && z > vmin && z < vmax) {
          const cx = Math.floor((x - vmin + 1e-8) / ledge), cy = Math.floor((y - vmin + 1e-8) / ledge);
          const cz = Math.floor((z - vmin + 1e-8) / ledge);
          cells[cx * ncube * ncube + cy * ncube + cz].push({ f: [i, j, k], c: [x, y, z] });
        }
      }
    }
  }
  // the centre's cube and its neighbours, in compute_offset_vectors(1) order
  const ci = Math.floor((0 - vmin + 1e-8) / ledge);
  const frac: Vec3[] = [], cart: Vec3[] = [], dist: number[] = [];
  for (const di of [-1, 0, 1]) {
    for (const dj of [-1, 0, 1]) {
      for (const dk of [-1, 0, 1]) {
        const a = ci + di, b = ci + dj, c = ci + dk;
        if (a < 0 || b < 0 || c < 0 || a >= ncube || b >= ncube || c >= ncube) continue;
        const id = a * ncube * ncube + b * ncube + c;
        const cell = cells[id];
        for (let p = cell.length - 1; p >= 0; p--) {
          const v = cell[p].c;
          const d2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
          if (d2 < r2 + tol && (rr === r || Math.sqrt(d2) <= r)) {
            frac.push(cell[p].f);
            cart.push(vecMatInt(cell[p].f, matrix));
            dist.push(Math.sqrt(d2));
          }
        }
      }
    }
  }
  return { frac, cart, dist };
}

/** `get_cartesian_coords` of an integer vector. */
function vecMatInt(f: Vec3, m: Mat3): Vec3 {
  return [
    f[0] * m[0][0] + f[1] * m[1][0] + f[2] * m[2][0],
    f[0] * m[0][1] + f[1] * m[1][1] + f[2] * m[2][1],
    f[0] * m[0][2] + f[1] * m[1][2] + f[2] * m[2][2],
  ];
}

/** One result of {@link findAllMappings}. */
export interface LatticeMapping {
  /** The aligned lattice: vectors of `self` with `other`'s lengths and angles. */
  aligned: Mat3;
  /** Integer matrix with `aligned = scale · self`. */
  scale: Mat3;
}

/**
 * pymatgen `Lattice.find_all_mappings(other, ltol, atol, skip_rotation_matrix=True)`:
 * every choice of three lattice vectors of `self` whose lengths are within the
 * fractional `ltol` and whose angles are within `atol` degrees of `other`'s.
 *
 * @param self Matrix of the lattice whose vectors are picked.
 * @param other Matrix of the target lattice.
 * @param ltol Fractional length tolerance.
 * @param atol Angle tolerance in degrees.
 * @returns A generator of mappings.
 * @throws {RangeError} When more than {@link MAX_ANGLE_PAIRS} vector pairs would be compared.
 */
export function* findAllMappings(
  self: Mat3,
  other: Mat3,
  ltol: number,
  atol: number,
): Generator<LatticeMapping> {
  const [la, lb, lc, alpha, beta, gamma] = parameters(other);
  const lengths = [la, lb, lc];
  const pts = latticePointsInSphere(self, Math.max(...lengths) * (1 + ltol));
  const pick = (l: number) => {
    const idx: number[] = [];
    for (let p = 0; p < pts.dist.length; p++) {
      const q = pts.dist[p] / l;
      if (q < 1 + ltol && q > 1 / (1 + ltol)) idx.push(p);
    }
    return idx;
  };
  const [ia, ib, ic] = lengths.map(pick);
  // pymatgen builds these angle tables as dense arrays; for slab-like cells (1000 × 1000 × 0.5 Å) they
  // reach 10⁸ entries and it does not finish in practice, so such searches are refused
  const work = ia.length * ib.length + ib.length * ic.length + ia.length * ic.length;
  if (work > MAX_ANGLE_PAIRS) {
    throw new RangeError(`Cannot map lattices: ${work} vector pairs to compare (limit ${MAX_ANGLE_PAIRS})`);
  }
  const lens = pts.cart.map((c) => Math.sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]));
  const angle = (p: number, q: number) => {
    let x = dot(pts.cart[p], pts.cart[q]) / lens[p] / lens[q];
    if (x > 1) x = 1;
    if (x < -1) x = -1;
    return Math.acos(x) * DEG;
  };
  // alphab[j][k]: b_j, c_k; betab[i][k]: a_i, c_k; gammab[i][j]: a_i, b_j
  const alphab = ib.map((p) => ic.map((q) => Math.abs(angle(p, q) - alpha) < atol));
  const betab = ia.map((p) => ic.map((q) => Math.abs(angle(p, q) - beta) < atol));
  for (let i = 0; i < ia.length; i++) {
    for (let j = 0; j < ib.length; j++) {
      if (Math.abs(angle(ia[i], ib[j]) - gamma) >= atol) continue;
      for (let k = 0; k < ic.length; k++) {
        if (!alphab[j][k] || !betab[i][k]) continue;
        const scale = [pts.frac[ia[i]], pts.frac[ib[j]], pts.frac[ic[k]]].map((v) => [...v]) as Mat3;
        if (Math.abs(det(scale)) < 1e-8) continue;
        yield {
          aligned: [pts.cart[ia[i]], pts.cart[ib[j]], pts.cart[ic[k]]].map((v) => [...v]) as Mat3,
          scale,
        };
      }
    }
  }
}

/**
 * pymatgen `Lattice.get_niggli_reduced_lattice(tol=1e-5)` (Grosse-Kunstleve,
 * Sauter & Adams 2004), including its final `find_mapping` back onto the lattice
 * vectors so the result keeps the original orientation.
 *
 * @param matrix Lattice matrix.
 * @param tol Numerical tolerance (relative to V^(1/3)).
 * @returns The Niggli-reduced matrix.
 * @throws {Error} When no mapping onto the reduced parameters exists (pymatgen: "can't find niggli").
 */
export function niggliReduce(matrix: Mat3, tol = 1e-5): Mat3 {
  const lll = lllReduce(matrix)[0];
  const e = tol * new Lattice(matrix).volume ** (1 / 3);
  let G = matmul3(lll, transpose(lll));
  const apply = (M: number[][]) => {
    G = matmul3(transpose(M), matmul3(G, M));
  };
  for (let iter = 0; iter < 100; iter++) {
    let [A, B, C, E, N, Y] = [G[0][0], G[1][1], G[2][2], 2 * G[1][2], 2 * G[0][2], 2 * G[0][1]];
    if (A > B + e || (Math.abs(A - B) < e && Math.abs(E) > Math.abs(N) + e)) {
      apply([[0, -1, 0], [-1, 0, 0], [0, 0, -1]]); // A1
    }
    // pymatgen tests A2, A3 and A4 on the values read before A1 (it does not re-read G)
    if (B > C + e || (Math.abs(B - C) < e && Math.abs(N) > Math.abs(Y) + e)) {
      apply([[-1, 0, 0], [0, 0, -1], [0, -1, 0]]); // A2
      continue;
    }
    const l = Math.abs(E) < e ? 0 : E / Math.abs(E);
    const m = Math.abs(N) < e ? 0 : N / Math.abs(N);
    const n = Math.abs(Y) < e ? 0 : Y / Math.abs(Y);
    if (l * m * n === 1) {
      // A3
      const i = l === -1 ? -1 : 1, j = m === -1 ? -1 : 1, k = n === -1 ? -1 : 1;
      apply([[i, 0, 0], [0, j, 0], [0, 0, k]]);
    } else if (l * m * n === 0 || l * m * n === -1) {
      // A4
      let i = l === 1 ? -1 : 1, j = m === 1 ? -1 : 1, k = n === 1 ? -1 : 1;
      if (i * j * k === -1) {
        if (n === 0) k = -1;
        else if (m === 0) j = -1;
        else if (l === 0) i = -1;
      }
      apply([[i, 0, 0], [0, j, 0], [0, 0, k]]);
    }
    [A, B, C, E, N, Y] = [G[0][0], G[1][1], G[2][2], 2 * G[1][2], 2 * G[0][2], 2 * G[0][1]];
    // A5
    if (Math.abs(E) > B + e || (Math.abs(E - B) < e && 2 * N < Y - e) || (Math.abs(E + B) < e && Y < -e)) {
      apply([[1, 0, 0], [0, 1, -E / Math.abs(E)], [0, 0, 1]]);
      continue;
    }
    // A6
    if (Math.abs(N) > A + e || (Math.abs(A - N) < e && 2 * E < Y - e) || (Math.abs(A + N) < e && Y < -e)) {
      apply([[1, 0, -N / Math.abs(N)], [0, 1, 0], [0, 0, 1]]);
      continue;
    }
    // A7
    if (Math.abs(Y) > A + e || (Math.abs(A - Y) < e && 2 * E < N - e) || (Math.abs(A + Y) < e && N < -e)) {
      apply([[1, -Y / Math.abs(Y), 0], [0, 1, 0], [0, 0, 1]]);
      continue;
    }
    // A8
    const s = E + N + Y + A + B;
    if (s < -e || (Math.abs(s) < e && e < Y + (A + N) * 2)) {
      apply([[1, 0, 1], [0, 1, 1], [0, 0, 1]]);
      continue;
    }
    break;
  }
  const [A, B, C, E, N, Y] = [G[0][0], G[1][1], G[2][2], 2 * G[1][2], 2 * G[0][2], 2 * G[0][1]];
  const a = Math.sqrt(A), b = Math.sqrt(B), c = Math.sqrt(C);
  const alpha = Math.acos(E / 2 / b / c) / Math.PI * 180;
  const beta = Math.acos(N / 2 / a / c) / Math.PI * 180;
  const gamma = Math.acos(Y / 2 / a / b) / Math.PI * 180;
  const latt = Lattice.fromParameters(a, b, c, alpha, beta, gamma);
  // find_mapping(latt, ltol=e, atol=1): the first mapping onto the lattice's own vectors
  for (const mp of findAllMappings(matrix, latt.matrix, e, 1)) {
    if (det(mp.aligned) > 0) return mp.aligned;
    return mp.aligned.map((r) => r.map((x) => -x)) as Mat3;
  }
  throw new Error("Cannot Niggli-reduce lattice: can't find niggli");
}

/** Transpose of a 3×3 matrix. */
export function transpose(m: readonly (readonly number[])[]): Mat3 {
  return [[m[0][0], m[1][0], m[2][0]], [m[0][1], m[1][1], m[2][1]], [m[0][2], m[1][2], m[2][2]]];
}

/** numpy `allclose(a, b)` (rtol 1e-5, atol 1e-8) for 3×3 matrices, as `Lattice.__eq__`. */
export function matAllclose(a: Mat3, b: Mat3): boolean {
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      if (!(Math.abs(a[i][j] - b[i][j]) <= 1e-8 + 1e-5 * Math.abs(b[i][j]))) return false;
    }
  }
  return true;
}

/**
 * Squared shortest distances between two lists of fractional coordinates, over
 * the 27 neighbouring images of the LLL-reduced cell (pymatgen
 * `coord_cython.pbc_shortest_vectors(..., return_d2=True)`, as used by
 * `Lattice.get_all_distances` and `Structure.distance_matrix`).
 *
 * @param matrix Lattice matrix.
 * @param f1 Row coordinates.
 * @param f2 Column coordinates.
 * @returns `d2[i][j]` in Å².
 */
export function pbcShortestD2(matrix: Mat3, f1: readonly Vec3[], f2: readonly Vec3[]): number[][] {
  const [lat, mapping] = lllReduce(matrix);
  const inv = inv3(mapping);
  const toCart = (f: Vec3) => {
    const g = [0, 1, 2].map((k) => f[0] * inv[0][k] + f[1] * inv[1][k] + f[2] * inv[2][k]);
    const h = g.map((x) => x - Math.floor(x));
    return [0, 1, 2].map((k) => h[0] * lat[0][k] + h[1] * lat[1][k] + h[2] * lat[2][k]);
  };
  const c1 = f1.map(toCart), c2 = f2.map(toCart);
  const im: number[][] = [];
  for (const i of [-1, 0, 1]) {
    for (const j of [-1, 0, 1]) {
      for (const k of [-1, 0, 1]) {
        im.push([0, 1, 2].map((m) => i * lat[0][m] + j * lat[1][m] + k * lat[2][m]));
      }
    }
  }
  return c1.map((a) =>
    c2.map((b) => {
      let best = Infinity;
      for (const v of im) {
        const d = (b[0] - a[0] + v[0]) ** 2 + (b[1] - a[1] + v[1]) ** 2 + (b[2] - a[2] + v[2]) ** 2;
        if (d < best) best = d;
      }
      return best;
    })
  );
}
