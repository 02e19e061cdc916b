/**
 * Structure variants for StructureMatcher parity checks: for each base structure,
 * a shifted and permuted copy, a 2× supercell, Gaussian noise of 0.05 and 0.3 Å,
 * a one-axis strain near and beyond `ltol`, a unimodular change of basis and a
 * one-site substitution. Deterministic (seeded LCG), so runs are comparable.
 *
 * @module
 */
import { Lattice, type Mat3, matmul3, type Vec3 } from "../../cif/lattice.ts";
import { type Site, Structure } from "../../cif/structure.ts";

/** The structures and the (base, variant, kind) pairs to compare. */
export interface VariantSet {
  structures: Structure[];
  pairs: [number, number, string][];
}

/**
 * Build variants of ordered base structures.
 *
 * @param bases Base structures (disordered ones are skipped).
 * @param seed LCG seed.
 * @returns All structures (bases first in each block) and the pairs.
 */
export function structureVariants(bases: readonly Structure[], seed = 12345): VariantSet {
  let state = seed;
  const rnd = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const structures: Structure[] = [];
  const pairs: [number, number, string][] = [];
  const add = (s: Structure) => (structures.push(s), structures.length - 1);
  for (const s of bases) {
    if (!s.isOrdered) continue;
    const b = add(s);
    const L = s.lattice;
    const sh = [rnd(), rnd(), rnd()];
    const perm = s.sites.map((_, i) => i).sort(() => rnd() - 0.5);
    const moved = perm.map((i): Site => ({
      species: s.sites[i].species,
      frac: s.sites[i].frac.map((x, k) => (x + sh[k]) % 1) as Vec3,
    }));
    pairs.push([b, add(new Structure(L, moved)), "shift_permute"]);
    const ax = Math.floor(rnd() * 3);
    const M = L.matrix.map((row, i) => row.map((x) => (i === ax ? 2 * x : x))) as Mat3;
    const sc: Site[] = [];
    for (const site of s.sites) {
      for (const t of [0, 1]) {
        const f = [...site.frac] as Vec3;
        f[ax] = (f[ax] + t) / 2;
        sc.push({ species: site.species, frac: f });
      }
    }
    pairs.push([b, add(new Structure(new Lattice(M), sc)), "supercell"]);
    for (const amp of [0.05, 0.3]) {
      const noisy = s.sites.map((site): Site => {
        const c = L.toCartesian(site.frac);
        return {
          species: site.species,
          frac: L.toFractional([c[0] + amp * gauss(), c[1] + amp * gauss(), c[2] + amp * gauss()]),
        };
      });
      pairs.push([b, add(new Structure(L, noisy)), `noise_${amp}A`]);
    }
    const fac = 1 + (rnd() < 0.5 ? 0.12 : 0.25) * (rnd() < 0.5 ? 1 : -0.7);
    const sa = Math.floor(rnd() * 3);
    const strained = new Lattice(L.matrix.map((row, i) => row.map((x) => (i === sa ? x * fac : x))));
    pairs.push([b, add(new Structure(strained, s.sites)), "strain"]);
    const T: Mat3 = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
    const i1 = Math.floor(rnd() * 3);
    let i2 = Math.floor(rnd() * 3);
    if (i2 === i1) i2 = (i1 + 1) % 3;
    T[i1][i2] = 1;
    const NL = new Lattice(matmul3(T, L.matrix));
    const rebased = s.sites.map((site): Site => {
      const f = NL.toFractional(L.toCartesian(site.frac));
      return { species: site.species, frac: f.map((x) => x - Math.floor(x)) as Vec3 };
    });
    pairs.push([b, add(new Structure(NL, rebased)), "basis_change"]);
    if (s.length > 1) {
      const k = Math.floor(rnd() * s.length);
      const sub = s.sites.map((x, i): Site => (i === k ? { species: [["Li", 1]], frac: x.frac } : x));
      pairs.push([b, add(new Structure(L, sub)), "substitution"]);
    }
  }
  return { structures, pairs };
}
