/**
 * Structure reductions used by StructureMatcher, ported from pymatgen 2022.11.7
 * `pymatgen/core/structure.py`: `IStructure.get_reduced_structure("niggli")` and
 * `IStructure.get_primitive_structure(tolerance=0.25)`. Private to `match/`.
 *
 * @module
 */
import { inv3, Lattice, type Mat3, matmul3, type Vec3 } from "../cif/lattice.ts";
import { type Site, speciesString, Structure } from "../cif/structure.ts";
import { pySorted } from "../cif/python_compat.ts";
import { matAllclose, niggliReduce, roundHalfEven } from "./_lattice_ops.ts";

function mod1(x: number): number {
  return x - Math.floor(x); // np.mod(x, 1) for finite x
}

/**
 * pymatgen `get_reduced_structure(reduction_algo="niggli")`: the same sites in the
 * Niggli-reduced cell, fractional coordinates wrapped into [0, 1).
 *
 * @param s The structure.
 * @returns A new structure (or a copy when the lattice is already reduced).
 */
export function niggliReducedStructure(s: Structure): Structure {
  const reduced = niggliReduce(s.lattice.matrix);
  if (matAllclose(reduced, s.lattice.matrix)) return copyStructure(s);
  const nl = new Lattice(reduced);
  const sites = s.sites.map((site): Site => {
    const f = nl.toFractional(s.lattice.toCartesian(site.frac));
    return { ...site, frac: [mod1(f[0]), mod1(f[1]), mod1(f[2])] };
  });
  return new Structure(nl, sites);
}

function copyStructure(s: Structure): Structure {
  return new Structure(
    new Lattice(s.lattice.matrix),
    s.sites.map((x) => ({ ...x, frac: [...x.frac] as Vec3 })),
  );
}

function* factors(n: number): Generator<number> {
  for (let i = 1; i <= n; i++) if (n % i === 0) yield i;
}

/** pymatgen's `get_hnf(fu)`: upper-triangular Hermite normal forms of each determinant dividing fu (except 1). */
function* hnf(fu: number): Generator<[number, Mat3[]]> {
  for (const d of factors(fu)) {
    if (d === 1) continue;
    for (const a of factors(d)) {
      for (const e of factors(d / a)) {
        const g = d / a / e;
        const ms: Mat3[] = [];
        for (let b = 0; b < a; b++) {
          for (let c = 0; c < a; c++) for (let f = 0; f < e; f++) ms.push([[a, b, c], [0, e, f], [0, 0, g]]);
        }
        yield [d, ms];
      }
    }
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** |d - round(d)| per component, all below tol. */
function closePbc(a: Vec3, b: Vec3, tol: Vec3): boolean {
  for (let k = 0; k < 3; k++) {
    const d = a[k] - b[k];
    if (!(Math.abs(d - roundHalfEven(d)) < tol[k])) return false;
  }
  return true;
}

function vecMat(v: Vec3, m: Mat3): Vec3 {
  return [
    v[0] * m[0][0] + v[1] * m[1][0] + v[2] * m[2][0],
    v[0] * m[0][1] + v[1] * m[1][1] + v[2] * m[2][1],
    v[0] * m[0][2] + v[1] * m[1][2] + v[2] * m[2][2],
  ];
}

/**
 * pymatgen `get_primitive_structure(tolerance=0.25)` (use_site_props=False, no
 * lattice constraint): searches supercell matrices (Hermite normal forms) whose
 * translations map every site onto a site of the same species within `tolerance`
 * Å, averages the merged positions, recurses, and Niggli-reduces the result. When
 * no smaller cell is found it returns a copy of the input.
 *
 * @param s The structure.
 * @param tolerance Cartesian tolerance per coordinate in Å.
 * @returns The most primitive structure found.
 */
export function primitiveStructure(s: Structure, tolerance = 0.25): Structure {
  const n = s.sites.length;
  if (n === 0) return copyStructure(s);
  const labels = s.sites.map(speciesString);
  // sorted(self._sites, key=site_label), then itertools.groupby
  const order = pySorted([...Array(n).keys()], (i, j) => labels[i] < labels[j]);
  const groupedSites: Site[][] = [];
  let last: string | undefined;
  for (const i of order) {
    if (labels[i] !== last) groupedSites.push([]);
    groupedSites[groupedSites.length - 1].push(s.sites[i]);
    last = labels[i];
  }
  const groupedF: Vec3[][] = groupedSites.map((g) => g.map((x) => x.frac));
  // min(grouped_fcoords, key=len): the first group of the smallest size
  let minF = groupedF[0];
  for (const g of groupedF) if (g.length < minF.length) minF = g;
  let minVecs: Vec3[] = minF.map((f) => [f[0] - minF[0][0], f[1] - minF[0][1], f[2] - minF[0][2]]);
  const [a, b, c] = s.lattice.matrix.map((r) => Math.sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2])); // numpy lengths
  const abc = [a, b, c];
  const superFtol = abc.map((x) => tolerance / x) as Vec3;
  const superFtol2 = superFtol.map((x) => 2 * x) as Vec3;
  // keep only min_vecs that approximately map every site onto a site of its species
  const bySize = pySorted(groupedF, (a, b) => a.length < b.length);
  for (const g of bySize) {
    for (const f of g) {
      const shifted: Vec3[] = g.map((x) => [x[0] - f[0], x[1] - f[1], x[2] - f[2]]);
      minVecs = minVecs.filter((v) => shifted.some((w) => closePbc(v, w, superFtol2)));
    }
  }
  // sites may not match their own neighbours in the supercell
  const groupedNonNbrs: boolean[][][] = groupedF.map((g) =>
    g.map((fi, i) =>
      g.map((fj, j) => {
        if (i === j) return true;
        for (let k = 0; k < 3; k++) {
          const d = fj[k] - fi[k];
          if (Math.abs(d - roundHalfEven(d)) > 2 * superFtol[k]) return true;
        }
        return false;
      })
    )
  );
  const numFu = groupedSites.map((g) => g.length).reduce(gcd);
  for (const [size, ms] of hnf(numFu)) {
    for (const m of ms) {
      const invM = inv3(m);
      // every row of inv_m must be close to some min_vec
      let ok = true;
      for (let r = 0; r < 3 && ok; r++) ok = minVecs.some((v) => closePbc(invM[r], v, superFtol));
      if (!ok) continue;
      const newM = matmul3(invM, s.lattice.matrix);
      const ftol = newM.map((row) =>
        tolerance / Math.sqrt(row[0] * row[0] + row[1] * row[1] + row[2] * row[2])
      ) as Vec3;
      let valid = true;
      const newSites: Site[] = [];
      for (let gi = 0; gi < groupedSites.length && valid; gi++) {
        const gsites = groupedSites[gi], nonNbrs = groupedNonNbrs[gi];
        const allFrac = groupedF[gi].map((f) => vecMat(f, m));
        const k = allFrac.length;
        const groups: boolean[][] = allFrac.map((fi, i) =>
          allFrac.map((fj, j) => {
            for (let c = 0; c < 3; c++) {
              const d = fj[c] - fi[c];
              if (!(Math.abs(d - roundHalfEven(d)) < ftol[c])) return false;
            }
            return nonNbrs[i][j];
          })
        );
        // each column must hold `size` members
        for (let j = 0; j < k && valid; j++) {
          let cnt = 0;
          for (let i = 0; i < k; i++) if (groups[i][j]) cnt++;
          if (cnt !== size) valid = false;
        }
        // each group must be a clique
        for (let i = 0; i < k && valid; i++) {
          const members = [...Array(k).keys()].filter((x) => groups[i][x]);
          for (const p of members) for (const q of members) if (!groups[p][q]) valid = false;
        }
        if (!valid) break;
        const added = new Array(k).fill(false);
        const newF: Vec3[] = allFrac.map((
          f,
        ) => [f[0] - Math.floor(f[0]), f[1] - Math.floor(f[1]), f[2] - Math.floor(f[2])]);
        for (let i = 0; i < k; i++) {
          if (added[i]) continue;
          const inds = [...Array(k).keys()].filter((x) => groups[i][x]);
          for (const x of inds) added[x] = true;
          // `coords` is a numpy view of new_fcoords[inds[0]]: averaging updates it in place
          const coords = newF[inds[0]];
          for (let t = 1; t < inds.length; t++) {
            for (let c = 0; c < 3; c++) {
              const off = newF[inds[t]][c] - coords[c];
              coords[c] += (off - roundHalfEven(off)) / (t + 1);
            }
          }
          newSites.push({
            species: gsites[inds[0]].species,
            frac: [...coords] as Vec3,
            label: gsites[inds[0]].label,
          });
        }
      }
      if (valid) {
        const prim = new Structure(new Lattice(matmul3(inv3(m), s.lattice.matrix)), newSites);
        return niggliReducedStructure(primitiveStructure(prim, tolerance));
      }
    }
  }
  return copyStructure(s);
}

/**
 * StructureMatcher's `_get_reduced_structure(struct, primitive_cell, niggli=True)`:
 * Niggli reduction first, then (optionally) the primitive cell.
 *
 * @param s The structure.
 * @param primitiveCell Also reduce to the primitive cell.
 * @returns The reduced structure.
 */
export function reducedStructure(s: Structure, primitiveCell = true): Structure {
  const r = niggliReducedStructure(s);
  return primitiveCell ? primitiveStructure(r) : r;
}
