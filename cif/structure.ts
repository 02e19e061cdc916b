/**
 * Periodic structures: a lattice plus sites with (possibly partial) occupancy.
 *
 * Mirrors the parts of `pymatgen.core.Structure` the harness needs: composition,
 * volume, sorted order (`get_sorted_structure`) and species strings.
 *
 * @module
 */
import { Composition } from "./composition.ts";
import { electronegativity, isDummySymbol } from "./elements.ts";
import type { Lattice, Vec3 } from "./lattice.ts";
import { pySorted, pyToFixed } from "./python_compat.ts";

/** One site: species with occupancies, fractional coordinates, an optional label. */
export interface Site {
  /** Element → occupancy, in insertion order (an ordered site has one entry at 1). */
  species: [string, number][];
  /** Fractional coordinates. */
  frac: Vec3;
  /** The `_atom_site_label` it came from, when read from a CIF. */
  label?: string;
}

/** A periodic crystal structure. */
export class Structure {
  /**
   * @param lattice The lattice.
   * @param sites The sites (not copied).
   */
  constructor(readonly lattice: Lattice, readonly sites: Site[]) {}

  /** Number of sites. */
  get length(): number {
    return this.sites.length;
  }

  /** Cell volume in Å³. */
  get volume(): number {
    return this.lattice.volume;
  }

  /** Sum of the site compositions (pymatgen `Structure.composition`). */
  get composition(): Composition {
    const amounts: [string, number][] = [];
    for (const s of this.sites) for (const sp of s.species) amounts.push(sp);
    return new Composition(amounts);
  }

  /** True when every site has one species at full occupancy. */
  get isOrdered(): boolean {
    return this.sites.every((s) => s.species.length === 1 && s.species[0][1] === 1);
  }

  /** Cartesian coordinates of site `i`. */
  cart(i: number): Vec3 {
    return this.lattice.toCartesian(this.sites[i].frac);
  }

  /** A copy sorted like pymatgen's `get_sorted_structure()` (electronegativity, then species string). */
  sorted(): Structure {
    return new Structure(this.lattice, pySorted(this.sites, siteLess));
  }
}

/** pymatgen `Site.species_string`: `"Na"`, or `"Fe:0.500, Ni:0.500"` for a disordered site. */
export function speciesString(site: Site): string {
  const name = (el: string) => isDummySymbol(el) ? `${el}0+` : el; // str(DummySpecies("Xx")) == "Xx0+"
  if (site.species.length === 1 && site.species[0][1] === 1) return name(site.species[0][0]);
  // sorted(self.species) sorts Element objects by pymatgen's Element.__lt__
  const sorted = pySorted(site.species, (a, b) => elementLess(a[0], b[0]));
  return sorted.map(([el, occ]) => `${name(el)}:${pyToFixed(occ, 3)}`).join(", ");
}

function elementLess(a: string, b: string): boolean {
  const xa = electronegativity(a), xb = electronegativity(b);
  const x1 = Number.isNaN(xa) ? Infinity : xa, x2 = Number.isNaN(xb) ? Infinity : xb;
  if (x1 !== x2) return x1 < x2;
  return a < b;
}

/** Average electronegativity of a site's species (pymatgen `Composition.average_electroneg`). */
export function siteElectroneg(site: Site): number {
  let s = 0, n = 0;
  for (const [el, occ] of site.species) {
    s += electronegativity(el) * Math.abs(occ);
    n += Math.abs(occ);
  }
  return s / n;
}

/** pymatgen `Site.__lt__`. */
export function siteLess(a: Site, b: Site): boolean {
  const ea = siteElectroneg(a), eb = siteElectroneg(b);
  if (ea < eb) return true;
  if (ea > eb) return false;
  const sa = speciesString(a), sb = speciesString(b);
  if (sa < sb) return true;
  return false;
}
