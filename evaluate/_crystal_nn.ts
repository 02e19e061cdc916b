/**
 * pymatgen 2022.11.7's `CrystalNN().get_nn_info(structure, n)` with its defaults
 * (`weighted_cn=False, cation_anion=False, distance_cutoffs=(0.5, 1), x_diff_weight=3.0,
 * porous_adjustment=True, search_cutoff=7, fingerprint_length=None`), as
 * `pymatgen/analysis/local_env.py` computes it:
 *
 * 1. VoronoiNN(weight="solid_angle", cutoff=7): each face's solid angle over the largest,
 *    faces with a zero solid angle dropped;
 * 2. porous adjustment: × solid_angle / area;
 * 3. electronegativity: × (1 + 3·√(|ΔX| / 3.3)) (× 1 when either X is NaN);
 * 4. normalised to the largest; × a cosine distance weight between d + 0.5 and d + 1 Å, with
 *    d the sum of covalent radii (`_get_default_radius`: sites carry no oxidation states, so
 *    `_get_radius` gives 0 and CrystalNN falls back to these);
 * 5. weights rounded to 3 decimals; each distinct weight w defines the neighbour set
 *    {weight ≥ w} scored by the semicircle integral; the best-scoring set wins (first on ties,
 *    CN 0 last).
 *
 * Private to `evaluate/`.
 *
 * @module
 */
import { electronegativity, element } from "../cif/elements.ts";
import { pyRound } from "../cif/python_compat.ts";
import type { Structure } from "../cif/structure.ts";
import covalent from "./data/covalent_radii.json" with { type: "json" };
import { PyError } from "./_pymatgen_cif.ts";
import { type VoronoiFace, voronoiFaces } from "./_voronoi.ts";

const COVALENT = (covalent as { radius: Record<string, number> }).radius;

/** One neighbour CrystalNN keeps. */
export interface NeighborInfo {
  /** Index of the neighbour's site. */
  siteIndex: number;
  /** Distance from the centre, Å. */
  dist: number;
}

/** The single species of an ordered site (pymatgen's `site.specie`). */
export function specieOf(structure: Structure, i: number): string {
  const sp = structure.sites[i].species;
  if (sp.length !== 1 || sp[0][1] !== 1) {
    throw new PyError("AttributeError", "specie property only works for ordered sites!");
  }
  return sp[0][0];
}

/** `_get_default_radius`: covalent radius, else `atomic_radius` (None → TypeError on use). */
function defaultRadius(symbol: string): number {
  const r = COVALENT[symbol];
  if (r !== undefined) return r;
  const a = element(symbol)?.atomic_radius;
  if (a == null) throw new PyError("TypeError", "unsupported operand type(s) for +: 'NoneType' and 'float'");
  return a;
}

/**
 * Python's `round(x, 3)`. An exact binary tie at the third decimal needs x = k/16, so every
 * other x rounds correctly with `toFixed`; ties go through `pyRound` (half to even).
 */
function round3(x: number): number {
  return Number.isInteger(x * 16) ? pyRound(x, 3) : Number(x.toFixed(3));
}

/** `CrystalNN._semicircle_integral(dist_bins, idx)`. */
function semicircleIntegral(bins: number[], idx: number): number {
  const r = 1;
  const x1 = bins[idx], x2 = bins[idx + 1];
  const area1 = x1 === 1
    ? 0.25 * Math.PI * r * r
    : 0.5 * (x1 * Math.sqrt(r * r - x1 * x1) + r * r * Math.atan(x1 / Math.sqrt(r * r - x1 * x1)));
  const area2 = 0.5 * (x2 * Math.sqrt(r * r - x2 * x2) + r * r * Math.atan(x2 / Math.sqrt(r * r - x2 * x2)));
  return (area1 - area2) / (0.25 * Math.PI * r * r);
}

interface Entry {
  face: VoronoiFace;
  weight: number;
}

/** Python `sorted(nn, key=weight, reverse=True)`: stable, descending. */
function sortDesc(nn: Entry[]): Entry[] {
  return nn.map((e, i) => ({ e, i })).sort((a, b) => b.e.weight - a.e.weight || a.i - b.i).map((x) => x.e);
}

/**
 * The neighbours of site `n` that `CrystalNN().get_nn_info(structure, n)` returns.
 *
 * @param structure An ordered structure without dummy species.
 * @param n Site index.
 * @returns The neighbour images of the most likely coordination number.
 * @throws {PyError} Where pymatgen raises (unbounded cells, missing radii).
 */
export function crystalNNInfo(structure: Structure, n: number): NeighborInfo[] {
  const faces = voronoiFaces(structure, n, { cutoff: 7 });
  // VoronoiNN._extract_nn_info, tol = 0
  let maxSa = -Infinity;
  for (const f of faces) maxSa = Math.max(maxSa, f.solidAngle);
  let nn: Entry[] = faces.filter((f) => f.solidAngle > 0 * maxSa).map((f) => ({
    face: f,
    weight: f.solidAngle / maxSa,
  }));
  const el = specieOf(structure, n);
  const x1 = electronegativity(el);
  for (const e of nn) {
    e.weight *= e.face.solidAngle / e.face.area; // porous_adjustment
    const x2 = electronegativity(specieOf(structure, e.face.siteIndex));
    const chem = Number.isNaN(x1) || Number.isNaN(x2) ? 1 : 1 + 3.0 * Math.sqrt(Math.abs(x1 - x2) / 3.3);
    e.weight *= chem;
  }
  nn = sortDesc(nn);
  if (nn.length === 0) throw new PyError("IndexError", "list index out of range");
  if (nn[0].weight === 0) return [];
  const highest = nn[0].weight;
  for (const e of nn) e.weight /= highest;
  const r1 = defaultRadius(el);
  for (const e of nn) {
    const d = r1 + defaultRadius(specieOf(structure, e.face.siteIndex));
    const dist = e.face.dist;
    const lo = d + 0.5, hi = d + 1;
    let w = 0;
    if (dist <= lo) w = 1;
    else if (dist < hi) w = (Math.cos((dist - lo) / (hi - lo) * Math.PI) + 1) * 0.5;
    e.weight *= w;
  }
  nn = sortDesc(nn);
  if (nn[0].weight === 0) return [];
  for (const e of nn) e.weight = round3(e.weight);
  nn = nn.filter((e) => e.weight > 0);
  const bins: number[] = [];
  for (const e of nn) if (!bins.length || bins[bins.length - 1] !== e.weight) bins.push(e.weight);
  bins.push(0);
  // cn_weights in insertion order; max() keeps the first maximum
  let bestCn = -1, bestW = -Infinity, sum = 0;
  const sets = new Map<number, Entry[]>();
  for (let idx = 0; idx < bins.length; idx++) {
    const val = bins[idx];
    if (val === 0) continue;
    const set = nn.filter((e) => e.weight >= val);
    const w = semicircleIntegral(bins, idx);
    sets.set(set.length, set);
    sum += w;
    if (w > bestW) [bestCn, bestW] = [set.length, w];
  }
  const cn0 = 1.0 - sum;
  if (cn0 > 0 && cn0 > bestW) return [];
  return (sets.get(bestCn) ?? []).map((e) => ({ siteIndex: e.face.siteIndex, dist: e.face.dist }));
}
