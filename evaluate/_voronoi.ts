/**
 * The Voronoi cell of one site among its periodic neighbours, as pymatgen 2022.11.7's
 * `VoronoiNN.get_voronoi_polyhedra` (`pymatgen/analysis/local_env.py`) measures it.
 *
 * pymatgen gathers every periodic image within `cutoff` of the site
 * (`get_sites_in_sphere`), runs Qhull's Voronoi on those points, and keeps the ridges of the
 * central point; a cell with a vertex at infinity ("pathological") makes it double the cutoff,
 * up to the longest cell diagonal + 0.01 Å. The same cell is the intersection of the
 * half-spaces bounded by the perpendicular bisectors between the site and each of those
 * points, so it is computed here by clipping a large box with one bisector plane at a time,
 * nearest point first. A box face that survives means Qhull's cell would be unbounded.
 *
 * For each face it reports what `_extract_cell_info` stores: the solid angle (pymatgen's
 * `solid_angle`, fan triangulation from the first vertex), the face area (from the pyramid
 * volume, `3 V / face_dist`) and the neighbour behind it. Faces of zero area — bisector planes
 * that only touch the cell at a vertex or an edge — are not faces here; Qhull drops them or
 * gives them a zero solid angle, which VoronoiNN's `weight > 0` test then drops.
 *
 * Private to `evaluate/`.
 *
 * @module
 */
import type { Vec3 } from "../cif/lattice.ts";
import type { Structure } from "../cif/structure.ts";
import { PyError } from "./_pymatgen_cif.ts";

/** One face of the cell: the neighbour image behind it and its measures. */
export interface VoronoiFace {
  /** Index of the neighbour's site in the structure. */
  siteIndex: number;
  /** Cartesian position of the neighbour image relative to the centre, Å. */
  rel: Vec3;
  /** Distance centre–neighbour, Å. */
  dist: number;
  /** Solid angle subtended by the face at the centre, sr. */
  solidAngle: number;
  /** Face area, Å². */
  area: number;
}

/** Options for {@link voronoiFaces}. */
export interface VoronoiOptions {
  /** Initial neighbour cutoff in Å (CrystalNN's `search_cutoff`). @default {7} */
  cutoff?: number;
  /** Give up (like a timeout) when the sphere holds more points than this. @default {20000} */
  maxPoints?: number;
}

interface Point {
  siteIndex: number;
  rel: Vec3;
  d2: number;
}

interface Face {
  tag: number; // index into points, or -1 for the initial box
  verts: Vec3[];
}

/**
 * Every periodic image within `cutoff` of site `n` (unsorted; `cellFaces` visits them by distance), the site itself
 * excluded (pymatgen: `get_sites_in_sphere(center.coords, cutoff)` then sorted by distance,
 * the centre being the point at distance 0).
 */
function pointsInSphere(structure: Structure, n: number, cutoff: number, maxPoints: number): Point[] {
  const m = structure.lattice.matrix;
  const inv = structure.lattice.inverse;
  const c = structure.cart(n);
  // |Δfrac_i| ≤ r · |column i of M⁻¹|
  const h = [0, 1, 2].map((i) => Math.hypot(inv[0][i], inv[1][i], inv[2][i]));
  const fc = structure.sites[n].frac;
  const r2 = cutoff * cutoff;
  const out: Point[] = [];
  const h0 = cutoff * h[0] + 1e-9, h1 = cutoff * h[1] + 1e-9, h2 = cutoff * h[2] + 1e-9;
  for (let j = 0; j < structure.sites.length; j++) {
    const f = structure.sites[j].frac;
    const d0 = fc[0] - f[0], d1 = fc[1] - f[1], d2f = fc[2] - f[2];
    const lo0 = Math.ceil(d0 - h0), hi0 = Math.floor(d0 + h0);
    const lo1 = Math.ceil(d1 - h1), hi1 = Math.floor(d1 + h1);
    const lo2 = Math.ceil(d2f - h2), hi2 = Math.floor(d2f + h2);
    const count = (hi0 - lo0 + 1) * (hi1 - lo1 + 1) * (hi2 - lo2 + 1);
    if (!(count <= maxPoints)) {
      throw new PyError("RuntimeError", "Voronoi neighbour search too large (harness limit)");
    }
    // base = f·M − c, then whole lattice vectors added incrementally
    const bx = f[0] * m[0][0] + f[1] * m[1][0] + f[2] * m[2][0] - c[0];
    const by = f[0] * m[0][1] + f[1] * m[1][1] + f[2] * m[2][1] - c[1];
    const bz = f[0] * m[0][2] + f[1] * m[1][2] + f[2] * m[2][2] - c[2];
    for (let a = lo0; a <= hi0; a++) {
      const ax = bx + a * m[0][0], ay = by + a * m[0][1], az = bz + a * m[0][2];
      for (let b = lo1; b <= hi1; b++) {
        const abx = ax + b * m[1][0], aby = ay + b * m[1][1], abz = az + b * m[1][2];
        for (let g = lo2; g <= hi2; g++) {
          const x = abx + g * m[2][0], y = aby + g * m[2][1], z = abz + g * m[2][2];
          const d2 = x * x + y * y + z * z;
          if (d2 > r2) continue;
          if (j === n && a === 0 && b === 0 && g === 0) continue;
          out.push({ siteIndex: j, rel: [x, y, z], d2 });
          if (out.length > maxPoints) {
            throw new PyError("RuntimeError", "Voronoi neighbour search too large (harness limit)");
          }
        }
      }
    }
  }
  return out;
}

function boxFaces(s: number): Face[] {
  const v = (x: number, y: number, z: number): Vec3 => [x * s, y * s, z * s];
  return [
    [v(1, -1, -1), v(1, 1, -1), v(1, 1, 1), v(1, -1, 1)],
    [v(-1, -1, -1), v(-1, -1, 1), v(-1, 1, 1), v(-1, 1, -1)],
    [v(-1, 1, -1), v(-1, 1, 1), v(1, 1, 1), v(1, 1, -1)],
    [v(-1, -1, -1), v(1, -1, -1), v(1, -1, 1), v(-1, -1, 1)],
    [v(-1, -1, 1), v(1, -1, 1), v(1, 1, 1), v(-1, 1, 1)],
    [v(-1, -1, -1), v(-1, 1, -1), v(1, 1, -1), v(1, -1, -1)],
  ].map((verts) => ({ tag: -1, verts }));
}

/** Scratch space for the plane distances of one face's vertices. */
let sBuf = new Float64Array(64);

/**
 * Clip the convex polyhedron `faces` to {x : p·x ≤ |p|²/2}; returns the new faces, or
 * `undefined` when the plane does not cut it.
 */
function clip(faces: Face[], p: Vec3, tag: number, eps: number): Face[] | undefined {
  const d = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]) / 2;
  let cuts = false;
  for (const f of faces) {
    for (const v of f.verts) {
      if (p[0] * v[0] + p[1] * v[1] + p[2] * v[2] - d > eps) {
        cuts = true;
        break;
      }
    }
    if (cuts) break;
  }
  if (!cuts) return undefined;
  const out: Face[] = [];
  const cap: Vec3[] = [];
  for (const f of faces) {
    const vs = f.verts;
    const nv = vs.length;
    if (sBuf.length < nv) sBuf = new Float64Array(2 * nv);
    const s = sBuf;
    let anyOut = false, allOut = true;
    for (let i = 0; i < nv; i++) {
      const v = vs[i];
      const si = p[0] * v[0] + p[1] * v[1] + p[2] * v[2] - d;
      s[i] = si;
      if (si > eps) anyOut = true;
      else allOut = false;
    }
    if (allOut) continue;
    if (!anyOut) {
      // untouched face: keep it, and its vertices on the plane belong to the cap
      out.push(f);
      for (let i = 0; i < nv; i++) if (s[i] >= -eps) cap.push(vs[i]);
      continue;
    }
    const poly: Vec3[] = [];
    for (let i = 0; i < nv; i++) {
      const a = vs[i], b = vs[(i + 1) % nv];
      const sa = s[i], sb = s[(i + 1) % nv];
      const aIn = sa <= eps, bIn = sb <= eps;
      if (aIn) {
        poly.push(a);
        if (sa >= -eps) cap.push(a);
      }
      if (aIn !== bIn && (sa < -eps || sb < -eps)) {
        const t = sa / (sa - sb);
        const q: Vec3 = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), a[2] + t * (b[2] - a[2])];
        poly.push(q);
        cap.push(q);
      }
    }
    const clean = dedupeRing(poly, eps);
    if (clean.length >= 3) out.push({ tag: f.tag, verts: clean });
  }
  const ring = orderCap(cap, p, eps);
  if (ring.length >= 3) out.push({ tag, verts: ring });
  return out;
}

function close(a: Vec3, b: Vec3, tol: number): boolean {
  return Math.abs(a[0] - b[0]) <= tol && Math.abs(a[1] - b[1]) <= tol && Math.abs(a[2] - b[2]) <= tol;
}

function dedupeRing(poly: Vec3[], eps: number): Vec3[] {
  const tol = Math.sqrt(eps) * 1e-3;
  const out: Vec3[] = [];
  for (const q of poly) if (!out.length || !close(out[out.length - 1], q, tol)) out.push(q);
  while (out.length > 1 && close(out[0], out[out.length - 1], tol)) out.pop();
  return out;
}

/** The cap polygon: distinct points ordered by angle around the plane normal. */
function orderCap(points: Vec3[], n: Vec3, eps: number): Vec3[] {
  const tol = Math.sqrt(eps) * 1e-3;
  const uniq: Vec3[] = [];
  for (const q of points) if (!uniq.some((u) => close(u, q, tol))) uniq.push(q);
  if (uniq.length < 3) return uniq;
  const c: Vec3 = [0, 0, 0];
  for (const q of uniq) for (let k = 0; k < 3; k++) c[k] += q[k] / uniq.length;
  // basis (u, w) of the plane
  const nn = Math.hypot(n[0], n[1], n[2]);
  const nz: Vec3 = [n[0] / nn, n[1] / nn, n[2] / nn];
  const ref: Vec3 = Math.abs(nz[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  let u = cross(nz, ref);
  const un = Math.hypot(u[0], u[1], u[2]);
  u = [u[0] / un, u[1] / un, u[2] / un];
  const w = cross(nz, u);
  const ang = uniq.map((q) => {
    const dx = q[0] - c[0], dy = q[1] - c[1], dz = q[2] - c[2];
    return Math.atan2(dx * w[0] + dy * w[1] + dz * w[2], dx * u[0] + dy * u[1] + dz * u[2]);
  });
  return uniq.map((q, i) => ({ q, a: ang[i] })).sort((x, y) => x.a - y.a).map((x) => x.q);
}

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/** pymatgen `solid_angle(center, coords)` with the centre at the origin. */
export function solidAngle(r: Vec3[]): number {
  const norm = r.map((v) => Math.hypot(v[0], v[1], v[2]));
  let angle = 0;
  for (let i = 1; i < r.length - 1; i++) {
    const j = i + 1;
    const tp = Math.abs(dot(r[0], cross(r[i], r[j])));
    const de = norm[0] * norm[i] * norm[j] + norm[j] * dot(r[0], r[i]) + norm[i] * dot(r[0], r[j]) +
      norm[0] * dot(r[i], r[j]);
    const my = de === 0 ? (tp > 0 ? 0.5 * Math.PI : -0.5 * Math.PI) : Math.atan(tp / de);
    angle += (my > 0 ? my : my + Math.PI) * 2;
  }
  return angle;
}

/** Volume of the pyramid from the origin over a convex polygon (pymatgen's `vol_tetra` fan). */
function pyramidVolume(r: Vec3[]): number {
  let v = 0;
  for (let j = 1; j < r.length - 1; j++) v += Math.abs(dot(r[0], cross(r[j], r[j + 1]))) / 6;
  return v;
}

/** The cell among `points` (sorted by distance); `undefined` when it is unbounded. */
function cellFaces(points: Point[], box: number, cutoff: number): Face[] | undefined {
  let faces = boxFaces(box);
  let rmax2 = 3 * box * box;
  // nearest first, but sorted shell by shell: the loop usually stops long before the cutoff
  let lo2 = -1;
  for (const frac of [0.4, 0.55, 0.7, 0.85, 1]) {
    const hi2 = frac === 1 ? Infinity : (frac * cutoff) ** 2;
    if (lo2 >= 4 * rmax2 * (1 + 1e-12)) break;
    const shell: number[] = [];
    for (let k = 0; k < points.length; k++) if (points[k].d2 > lo2 && points[k].d2 <= hi2) shell.push(k);
    shell.sort((a, b) => points[a].d2 - points[b].d2);
    lo2 = hi2;
    for (const k of shell) {
      const pt = points[k];
      if (pt.d2 < 1e-16) continue; // a coincident atom gives no plane
      // the bisector is at |p|/2 from the centre: it cannot reach a cell of radius √rmax2
      if (pt.d2 >= 4 * rmax2 * (1 + 1e-12)) break;
      const eps = 1e-11 * (1 + pt.d2);
      const next = clip(faces, pt.rel, k, eps);
      if (!next) continue;
      faces = next;
      rmax2 = 0;
      for (const f of faces) for (const v of f.verts) rmax2 = Math.max(rmax2, dot(v, v));
    }
  }
  return faces.some((f) => f.tag === -1) ? undefined : faces;
}

/**
 * The faces of site `n`'s Voronoi cell with pymatgen's cutoff doubling.
 *
 * @param structure The structure.
 * @param n Site index.
 * @param options Initial cutoff and the point limit.
 * @returns One entry per face (per neighbour image), in no particular order.
 * @throws {PyError} `RuntimeError` when the cell stays unbounded at the largest cutoff, or the
 *   neighbour sphere grows past `maxPoints`.
 */
export function voronoiFaces(structure: Structure, n: number, options: VoronoiOptions = {}): VoronoiFace[] {
  let cutoff = options.cutoff ?? 7;
  const maxPoints = options.maxPoints ?? 20000;
  const m = structure.lattice.matrix;
  // max cutoff is the longest diagonal of the cell + room for noise
  const corners: Vec3[] = [[1, 1, 1], [-1, 1, 1], [1, -1, 1], [1, 1, -1]];
  const maxCutoff = Math.max(...corners.map((f) => {
    const x = f[0] * m[0][0] + f[1] * m[1][0] + f[2] * m[2][0];
    const y = f[0] * m[0][1] + f[1] * m[1][1] + f[2] * m[2][1];
    const z = f[0] * m[0][2] + f[1] * m[1][2] + f[2] * m[2][2];
    return Math.hypot(x, y, z);
  })) + 0.01;
  for (;;) {
    const points = pointsInSphere(structure, n, cutoff, maxPoints);
    const faces = cellFaces(points, Math.max(100, 50 * cutoff), cutoff);
    if (faces) {
      const out: VoronoiFace[] = [];
      for (const f of faces) {
        const pt = points[f.tag];
        const dist = Math.sqrt(pt.d2);
        const vol = pyramidVolume(f.verts);
        out.push({
          siteIndex: pt.siteIndex,
          rel: pt.rel,
          dist,
          solidAngle: solidAngle(f.verts),
          area: 3 * vol / (dist / 2),
        });
      }
      if (out.length === 0) {
        throw new PyError("ValueError", "No Voronoi neighbors found for site - try increasing cutoff");
      }
      return out;
    }
    if (cutoff >= maxCutoff) {
      throw new PyError("RuntimeError", "Error in Voronoi neighbor finding; max cutoff exceeded");
    }
    cutoff = Math.min(cutoff * 2, maxCutoff + 0.001);
  }
}
