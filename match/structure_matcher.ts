/**
 * StructureMatcher: are two crystal structures the same, and how far apart are
 * their sites? A port of pymatgen 2022.11.7
 * `pymatgen.analysis.structure_matcher.StructureMatcher` for ordered and
 * disordered structures without supercell matching (`attempt_supercell=False`).
 *
 * The steps are pymatgen's:
 * 1. compare the fractional compositions (the comparator's `get_hash`);
 * 2. reduce each structure: Niggli cell, then the primitive cell
 *    (`get_primitive_structure(tolerance=0.25)`), then Niggli again
 *    (`_get_reduced_structure`);
 * 3. scale both lattices to the same volume (`_preprocess`);
 * 4. for every choice of lattice vectors of the first structure that matches the
 *    second lattice within `ltol` and `angle_tol` (`Lattice.find_all_mappings`),
 *    and every translation that brings one site of the rarest species onto a
 *    site of the first, test that all sites lie within `stol` fractional bounds
 *    (`is_coord_subset_pbc`), then pair sites by a minimum-cost assignment of
 *    squared distances (`_cart_dists`, LinearAssignment) after removing the mean
 *    displacement;
 * 5. distances are normalised by (V/n)^(1/3) of the averaged lattice; `fit` asks
 *    for a largest distance ≤ `stol`, `get_rms_dist` returns the smallest RMS
 *    over all mappings with its largest distance.
 *
 * @example Rock salt against a shifted, permuted copy
 * ```ts
 * import { Lattice } from "../cif/lattice.ts";
 * import { Structure } from "../cif/structure.ts";
 * import { StructureMatcher } from "./structure_matcher.ts";
 * const l = Lattice.fromParameters(4, 4, 4, 90, 90, 90);
 * const a = new Structure(l, [{ species: [["Na", 1]], frac: [0, 0, 0] }, { species: [["Cl", 1]], frac: [0.5, 0.5, 0.5] }]);
 * const b = new Structure(l, [{ species: [["Cl", 1]], frac: [0.6, 0.6, 0.6] }, { species: [["Na", 1]], frac: [0.1, 0.1, 0.1] }]);
 * if (!new StructureMatcher().fit(a, b)) throw new Error();
 * ```
 *
 * @module
 */
import { Composition } from "../cif/composition.ts";
import { compareElements } from "../cif/elements.ts";
import { det, inv3, Lattice, type Mat3, type Vec3 } from "../cif/lattice.ts";
import type { Site, Structure } from "../cif/structure.ts";
import { pySorted } from "../cif/python_compat.ts";
import { findAllMappings, lllReduce, parameters, reciprocalAbc, roundHalfAway } from "./_lattice_ops.ts";
import { reducedStructure } from "./_primitive.ts";
import { linearAssignment } from "./linear_assignment.ts";

/** Options of {@link StructureMatcher}, with pymatgen's names in camelCase and its defaults. */
export interface StructureMatcherOptions {
  /** Fractional length tolerance. @default {0.2} */
  ltol?: number;
  /** Site tolerance, a fraction of the average free length per atom (V/n)^(1/3). @default {0.3} */
  stol?: number;
  /** Angle tolerance in degrees. @default {5} */
  angleTol?: number;
  /** Reduce both structures to primitive cells first. @default {true} */
  primitiveCell?: boolean;
  /** Scale both structures to the same volume. @default {true} */
  scale?: boolean;
  /** Supercell matching; only `false` is implemented. @default {false} */
  attemptSupercell?: boolean;
  /**
   * `"species"` (pymatgen's SpeciesComparator: species and occupancies must be
   * equal) or `"element"` (ElementComparator). The harness's structures carry no
   * oxidation states, so the two agree. @default {"species"}
   */
  comparator?: "species" | "element";
}

/** pymatgen's defaults: ltol 0.2, stol 0.3, angle_tol 5. */
export const DEFAULT_MATCHER_OPTIONS: Readonly<Required<StructureMatcherOptions>> = {
  ltol: 0.2,
  stol: 0.3,
  angleTol: 5,
  primitiveCell: true,
  scale: true,
  attemptSupercell: false,
  comparator: "species",
};

/** CrystaLLM's `bin/benchmark_metrics.py` (from DiffCSP): `StructureMatcher(stol=0.5, angle_tol=10, ltol=0.3)`. */
export const BENCHMARK_MATCHER_OPTIONS: Readonly<Required<StructureMatcherOptions>> = {
  ...DEFAULT_MATCHER_OPTIONS,
  ltol: 0.3,
  stol: 0.5,
  angleTol: 10,
};

/** A structure after `_get_reduced_structure`, with what matching needs precomputed. */
export interface ReducedStructure {
  /** The reduced structure. */
  readonly structure: Structure;
  /** One key per site: equal keys mean the comparator calls the sites equal. */
  readonly keys: readonly string[];
  /** The comparator's hash: the fractional composition. */
  readonly hash: Composition;
  /** Key of the hash for bucketing (elements and fractions to 10 decimals). */
  readonly hashKey: string;
}

/** What `_match` found: the score and the normalised distance of every site. */
interface Match {
  val: number;
  dist: number[];
}

/** The 27 neighbouring images, in `itertools.product(range(-1, 2), repeat=3)` order (pymatgen `coord_cython`). */
const IMAGES: Vec3[] = [];
for (const i of [-1, 0, 1]) for (const j of [-1, 0, 1]) for (const k of [-1, 0, 1]) IMAGES.push([i, j, k]);

function siteKey(site: Site): string {
  const entries = [...site.species].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return entries.map(([el, occ]) => `${el}:${occ}`).join(",");
}

function vecMat(v: readonly number[], m: Mat3): Vec3 {
  return [
    v[0] * m[0][0] + v[1] * m[1][0] + v[2] * m[2][0],
    v[0] * m[0][1] + v[1] * m[1][1] + v[2] * m[2][1],
    v[0] * m[0][2] + v[1] * m[1][2] + v[2] * m[2][2],
  ];
}

/** pymatgen `is_coord_subset_pbc(subset, superset, atol, mask)` (not one-to-one). */
function isCoordSubsetPbc(subset: Vec3[], superset: Vec3[], atol: Vec3, mask: boolean[][]): boolean {
  for (let i = 0; i < subset.length; i++) {
    let found = false;
    for (let j = 0; j < superset.length && !found; j++) {
      if (mask[i][j]) continue;
      let ok = true;
      for (let k = 0; k < 3; k++) {
        const d = subset[i][k] - superset[j][k];
        if (Math.abs(d - roundHalfAway(d)) > atol[k]) {
          ok = false;
          break;
        }
      }
      found = ok;
    }
    if (!found) return false;
  }
  return true;
}

/** pymatgen `Composition.__ge__` on fractional compositions, used only for the group order. */
function compositionGe(a: Composition, b: Composition): boolean {
  const els = pySorted([...new Set([...a.elements, ...b.elements])], (x, y) => compareElements(x, y) < 0);
  for (const el of els) {
    if (b.amount(el) - a.amount(el) >= 1e-8) return false;
    if (a.amount(el) - b.amount(el) >= 1e-8) return true;
  }
  return true;
}

/**
 * pymatgen's StructureMatcher (2022.11.7) for `attempt_supercell=False`.
 *
 * @example Default and benchmark settings
 * ```ts
 * import { BENCHMARK_MATCHER_OPTIONS, StructureMatcher } from "./structure_matcher.ts";
 * const strict = new StructureMatcher();
 * const loose = new StructureMatcher(BENCHMARK_MATCHER_OPTIONS);
 * if (strict.options.stol !== 0.3 || loose.options.stol !== 0.5) throw new Error();
 * ```
 */
export class StructureMatcher {
  /** The settings in force. */
  readonly options: Readonly<Required<StructureMatcherOptions>>;
  #reduced = new WeakMap<Structure, ReducedStructure>();

  /**
   * @param options Tolerances and switches; unset fields take pymatgen's defaults.
   * @throws {RangeError} When `attemptSupercell` is true (not implemented).
   */
  constructor(options: StructureMatcherOptions = {}) {
    this.options = { ...DEFAULT_MATCHER_OPTIONS, ...options };
    if (this.options.attemptSupercell) {
      throw new RangeError("Cannot create StructureMatcher: attemptSupercell is not implemented");
    }
  }

  /**
   * Reduce a structure as `_get_reduced_structure` does (Niggli, then primitive
   * cell), caching the result per structure object.
   *
   * @param s The structure.
   * @returns The reduced structure with per-site comparison keys and composition hash.
   */
  reduce(s: Structure): ReducedStructure {
    let r = this.#reduced.get(s);
    if (r) return r;
    const red = reducedStructure(s, this.options.primitiveCell);
    const comp = s.composition;
    const total = comp.numAtoms;
    const hash = new Composition(comp.entries().map(([el, amt]): [string, number] => [el, amt / total]));
    const hashKey = hash.entries().sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([el, x]) =>
      `${el}${x.toFixed(10)}`
    )
      .join(" ");
    r = { structure: red, keys: red.sites.map(siteKey), hash, hashKey };
    this.#reduced.set(s, r);
    return r;
  }

  /**
   * pymatgen `StructureMatcher.fit(struct1, struct2)`: true when the structures match.
   *
   * @param a First structure.
   * @param b Second structure.
   * @returns Whether a lattice mapping and translation put every site within `stol`.
   */
  fit(a: Structure, b: Structure): boolean {
    return this.fitReduced(this.reduce(a), this.reduce(b));
  }

  /**
   * `fit` for structures already reduced with {@link StructureMatcher.reduce}
   * (pymatgen's `skip_structure_reduction=True`).
   *
   * @param a First reduced structure.
   * @param b Second reduced structure.
   * @returns Whether they match.
   */
  fitReduced(a: ReducedStructure, b: ReducedStructure): boolean {
    if (!a.hash.equals(b.hash)) return false;
    const m = this.#match(a, b, false, true);
    return m !== null && m.val <= this.options.stol;
  }

  /**
   * pymatgen `StructureMatcher.get_rms_dist(struct1, struct2)`.
   *
   * Unlike `fit`, pymatgen does not compare compositions first here; structures
   * whose sites cannot be paired by species give `null` all the same.
   *
   * @param a First structure (CrystaLLM passes the generated one).
   * @param b Second structure (the ground truth).
   * @returns `[rms, maxDist]`, both normalised by (V/n)^(1/3), or `null` when no match is within `stol`.
   */
  getRmsDist(a: Structure, b: Structure): [number, number] | null {
    const m = this.#match(this.reduce(a), this.reduce(b), true, false);
    if (m === null) return null;
    return [m.val, Math.max(...m.dist)];
  }

  /**
   * pymatgen `StructureMatcher.group_structures(s_list)`: group structures that
   * match, greedily. Structures are bucketed by fractional composition (the
   * comparator's hash); within a bucket, in input order, the first unmatched
   * structure takes every later one that fits it. Work is linear in the number
   * of structures times the number of groups per composition.
   *
   * @param structures The structures.
   * @returns Groups of indices into `structures`, in pymatgen's order (buckets sorted by composition);
   *   structures whose cell cannot be searched (needle- or slab-like cells that pymatgen does not
   *   finish either, see `latticePointsInSphere`) come last, one per group.
   */
  groupStructures(structures: readonly Structure[]): number[][] {
    const reduced: (ReducedStructure | null)[] = structures.map((s) => {
      try {
        return this.reduce(s);
      } catch {
        return null;
      }
    });
    const buckets = new Map<string, number[]>();
    const alone: number[][] = [];
    for (let i = 0; i < reduced.length; i++) {
      const r = reduced[i];
      if (r === null) {
        alone.push([i]);
        continue;
      }
      let b = buckets.get(r.hashKey);
      if (!b) buckets.set(r.hashKey, b = []);
      b.push(i);
    }
    // sorted(enumerate(s_list), key=s_hash) orders buckets by Composition.__lt__ (= not __ge__)
    const ordered = pySorted(
      [...buckets.values()],
      (x, y) => !compositionGe(reduced[x[0]]!.hash, reduced[y[0]]!.hash),
    );
    const groups: number[][] = [];
    for (const bucket of ordered) {
      let unmatched = bucket.slice();
      while (unmatched.length > 0) {
        const [ref, ...rest] = unmatched;
        const group = [ref];
        const left: number[] = [];
        for (const j of rest) (this.#safeFit(reduced[ref]!, reduced[j]!) ? group : left).push(j);
        groups.push(group);
        unmatched = left;
      }
    }
    return [...groups, ...alone];
  }

  /** `fitReduced`, with a refused lattice search (a pathological cell) counted as no match. */
  #safeFit(a: ReducedStructure, b: ReducedStructure): boolean {
    try {
      return this.fitReduced(a, b);
    } catch {
      return false;
    }
  }

  /** `_preprocess` scaling then `_match` / `_strict_match` with fu = 1. */
  #match(r1: ReducedStructure, r2: ReducedStructure, useRms: boolean, breakOnMatch: boolean): Match | null {
    const { ltol, stol, angleTol, scale } = this.options;
    const s1 = r1.structure, s2 = r2.structure;
    const n1 = s1.sites.length, n2 = s2.sites.length;
    // without supercells, different site counts give a non-square mask and no match
    if (n1 !== n2 || n1 === 0) return null;
    let m1 = s1.lattice.matrix, m2 = s2.lattice.matrix;
    if (scale) {
      const ratio = (s2.lattice.volume / s1.lattice.volume) ** (1 / 6);
      m1 = m1.map((r) => r.map((x) => x * ratio)) as Mat3;
      m2 = m2.map((r) => r.map((x) => x / ratio)) as Mat3;
    }
    // mask[i][j]: s2 site i may not pair with s1 site j (`_get_mask`)
    const mask = r2.keys.map((k2) => r1.keys.map((k1) => k1 !== k2));
    let s2TInd = 0, most = -1;
    for (let i = 0; i < n2; i++) {
      const c = mask[i].reduce((acc, x) => acc + (x ? 1 : 0), 0);
      if (c > most) [most, s2TInd] = [c, i];
    }
    const s1TInds = [...Array(n1).keys()].filter((j) => !mask[s2TInd][j]);
    if (linearAssignment(mask.map((r) => r.map((x) => (x ? 1 : 0)))).minCost > 0) return null;

    const cart1 = s1.sites.map((s) => vecMat(s.frac, m1));
    const s2fc = s2.sites.map((s) => s.frac);
    const l2params = parameters(m2);
    let best: Match | null = null;
    for (const mp of findAllMappings(m1, m2, ltol, angleTol)) {
      if (Math.abs(Math.abs(det(mp.scale)) - 1) >= 0.5) continue;
      const inv = inv3(mp.aligned);
      const s1fc = cart1.map((c) => {
        const f = vecMat(c, inv);
        return [f[0] - Math.floor(f[0]), f[1] - Math.floor(f[1]), f[2] - Math.floor(f[2])] as Vec3;
      });
      const p = parameters(mp.aligned);
      const avg = Lattice.fromParameters(
        ...(p.map((x, i) => (x + l2params[i]) / 2) as [number, number, number, number, number, number]),
      );
      const normalization = (n1 / avg.volume) ** (1 / 3);
      const fracTol = reciprocalAbc(avg.matrix).map((x) => x * stol / (Math.PI * normalization)) as Vec3;
      let lll: [Mat3, Mat3] | undefined;
      for (const s1i of s1TInds) {
        const t = [0, 1, 2].map((k) => s1fc[s1i][k] - s2fc[s2TInd][k]);
        const ts2 = s2fc.map((f) => [f[0] + t[0], f[1] + t[1], f[2] + t[2]] as Vec3);
        if (!isCoordSubsetPbc(ts2, s1fc, fracTol, mask)) continue;
        lll ??= lllReduce(avg.matrix);
        const lllFracTol = reciprocalAbc(lll[0]).map((x) => x * stol / (Math.PI * normalization)) as Vec3;
        const dist = cartDists(s1fc, ts2, lll, mask, normalization, lllFracTol);
        const val = useRms
          ? Math.sqrt(dist.reduce((acc, d) => acc + d * d, 0)) / Math.sqrt(dist.length)
          : Math.max(...dist);
        if (best === null || val < best.val) {
          best = { val, dist };
          if ((breakOnMatch || val < 1e-5) && val < stol) return best;
        }
      }
    }
    return best !== null && best.val < stol ? best : null;
  }
}

/**
 * `StructureMatcher._cart_dists` with `coord_cython.pbc_shortest_vectors`: the
 * shortest vectors from each s2 site to each s1 site among the 27 LLL images,
 * a minimum-cost pairing of squared lengths, then the distances after removing
 * the mean vector, times `normalization`.
 */
function cartDists(
  s1: Vec3[],
  s2: Vec3[],
  lll: [Mat3, Mat3],
  mask: boolean[][],
  normalization: number,
  lllFracTol: Vec3,
): number[] {
  const [lat, mapping] = lll;
  const lllInv = inv3(mapping);
  const f1 = s2.map((f) => vecMat(f, lllInv)); // fcoords1 = s2 (rows)
  const f2 = s1.map((f) => vecMat(f, lllInv)); // fcoords2 = s1 (columns)
  const mod = (f: Vec3) =>
    vecMat([f[0] - Math.floor(f[0]), f[1] - Math.floor(f[1]), f[2] - Math.floor(f[2])], lat);
  const c1 = f1.map(mod), c2 = f2.map(mod);
  const im = IMAGES.map((v) => vecMat(v, lat));
  const n = s2.length, m = s1.length;
  const vecs = new Float64Array(n * m * 3); // (n, m, 3) shortest vectors from s2[i] to s1[j]
  const d2: number[][] = [];
  for (let i = 0; i < n; i++) {
    const dr = new Array<number>(m);
    for (let j = 0; j < m; j++) {
      const o = (i * m + j) * 3;
      let within = !mask[i][j];
      if (within) {
        for (let l = 0; l < 3; l++) {
          const fd = f2[j][l] - f1[i][l];
          if (Math.abs(fd - roundHalfAway(fd)) > lllFracTol[l]) {
            within = false;
            break;
          }
        }
      }
      if (!within) {
        vecs[o] = vecs[o + 1] = vecs[o + 2] = 1e20;
        dr[j] = 1e20;
        continue;
      }
      const p0 = c2[j][0] - c1[i][0], p1 = c2[j][1] - c1[i][1], p2 = c2[j][2] - c1[i][2];
      let best = 1e100, bk = 0;
      for (let k = 0; k < 27; k++) {
        const da = p0 + im[k][0], db = p1 + im[k][1], dc = p2 + im[k][2];
        const d = da * da + db * db + dc * dc;
        if (d < best) [best, bk] = [d, k];
      }
      vecs[o] = p0 + im[bk][0];
      vecs[o + 1] = p1 + im[bk][1];
      vecs[o + 2] = p2 + im[bk][2];
      dr[j] = best;
    }
    d2.push(dr);
  }
  const { solution } = linearAssignment(d2);
  const short = solution.map((j, i) => {
    const o = (i * m + j) * 3;
    return [vecs[o], vecs[o + 1], vecs[o + 2]];
  });
  const tr = [0, 1, 2].map((k) => short.reduce((acc, v) => acc + v[k], 0) / short.length);
  return short.map((v) =>
    Math.sqrt((v[0] - tr[0]) ** 2 + (v[1] - tr[1]) ** 2 + (v[2] - tr[2]) ** 2) * normalization
  );
}

/**
 * A matcher as the plain predicate `evaluate()` takes for uniqueness.
 *
 * @param matcher The matcher. @default {pymatgen's default settings}
 * @returns `(a, b) => matcher.fit(a, b)`.
 */
export function matcherPredicate(matcher: StructureMatcher = new StructureMatcher()): (a: Structure, b: Structure) => boolean {
  return (a, b) => matcher.fit(a, b);
}

/**
 * Upstream CrystaLLM's greedy uniqueness (`bin/check_valid_unique_novel.py`, commit
 * 8e81a86): structures are bucketed by their cell formula (`composition.formula`,
 * so `Na4 Cl4` and `Na1 Cl1` are different buckets), and a structure is unique when
 * `fit(struct, existing)` fails against every unique structure already in its bucket.
 *
 * This differs from {@link StructureMatcher.groupStructures}, which compares only
 * with each group's first structure and buckets by fractional composition.
 *
 * @param structures The (valid) structures, in file order.
 * @param matcher The matcher; upstream uses pymatgen's defaults.
 * @returns Indices of the unique structures, bucket by bucket in order of first appearance.
 * @example Two rock-salt copies and one CsCl cell
 * ```ts
 * import { Lattice } from "../cif/lattice.ts";
 * import { Structure } from "../cif/structure.ts";
 * import { uniqueStructuresGreedy } from "./structure_matcher.ts";
 * const l = Lattice.fromParameters(4, 4, 4, 90, 90, 90);
 * const s = new Structure(l, [{ species: [["Cs", 1]], frac: [0, 0, 0] }, { species: [["Cl", 1]], frac: [0.5, 0.5, 0.5] }]);
 * if (uniqueStructuresGreedy([s, s]).join() !== "0") throw new Error();
 * ```
 */
export function uniqueStructuresGreedy(
  structures: readonly Structure[],
  matcher: StructureMatcher = new StructureMatcher(),
): number[] {
  const buckets = new Map<string, number[]>();
  for (let i = 0; i < structures.length; i++) {
    const key = structures[i].composition.formula;
    const uniques = buckets.get(key);
    if (!uniques) {
      buckets.set(key, [i]);
      continue;
    }
    const seen = uniques.some((j) => {
      try {
        return matcher.fit(structures[i], structures[j]);
      } catch {
        return false; // a cell whose lattice search is refused counts as different
      }
    });
    if (!seen) uniques.push(i);
  }
  return [...buckets.values()].flat();
}
