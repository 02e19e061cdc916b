/**
 * Regenerate `fixtures/nacl10/`: ten NaCl structures built from published
 * crystallographic facts, written as pymatgen `CifWriter(symprec=0.1)` text by
 * `symmetry/symmetrize.ts` (what CrystaLLM's dataset scripts produce).
 *
 *   deno run -A tools/gen_nacl10.ts
 *
 * - B1 (rock salt, Fm-3m, Na 4a 0,0,0; Cl 4b ½,½,½): the measured room-temperature
 *   lattice parameter a0 = 5.6402 Å (Swanson & Fuyat, NBS Circular 539 vol. II, 1953),
 *   and seven compressed states from the third-order Birch–Murnaghan equation of
 *   state with V0 = a0³, K0 = 23.8 GPa, K0' = 5.0.
 * - B2 (CsCl type, Pm-3m, Na 1a 0,0,0; Cl 1b ½,½,½), stable above ≈ 30 GPa: two states
 *   from the Vinet equation of state of B2-NaCl with V0 = 41.35 Å³, K0 = 26.86 GPa,
 *   K0' = 5.25 (Fei et al., PNAS 104, 9182, 2007).
 *
 * Lattice parameters are rounded to 4 decimals (CrystaLLM's preprocessing keeps 4).
 * `fixtures/nacl10/README.md` lists every number and its source.
 *
 * @module
 */
import { join } from "node:path";
import { Lattice } from "../cif/lattice.ts";
import { type Site, Structure } from "../cif/structure.ts";
import { symmetrizedCif } from "../symmetry/symmetrize.ts";
import { REPO_ROOT } from "../core/paths.ts";

/** NBS Circular 539 vol. II (Swanson & Fuyat 1953): NaCl at 26 °C. */
export const B1_A0 = 5.6402;
/** Birch–Murnaghan parameters used for compressed B1 (representative literature values). */
export const B1_K0 = 23.8, B1_K0P = 5.0;
/** Fei et al. 2007, Vinet fit for B2-NaCl. */
export const B2_V0 = 41.35, B2_K0 = 26.86, B2_K0P = 5.25;

/** Third-order Birch–Murnaghan pressure (GPa) at x = a/a0. */
export function birchMurnaghan3(x: number, k0: number, k0p: number): number {
  return 1.5 * k0 * (x ** -7 - x ** -5) * (1 + 0.75 * (k0p - 4) * (x ** -2 - 1));
}

/** Vinet pressure (GPa) at x = a/a0. */
export function vinet(x: number, k0: number, k0p: number): number {
  return 3 * k0 * (1 - x) * x ** -2 * Math.exp(1.5 * (k0p - 1) * (1 - x));
}

/** Solve p(x) = target for x in (0.5, 1] by bisection (p decreases with x). */
export function solveX(p: (x: number) => number, target: number): number {
  let lo = 0.5, hi = 1;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (p(mid) > target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** One fixture. */
export interface NaclState {
  file: string;
  phase: "B1" | "B2";
  pressureGPa: number;
  a: number;
  source: string;
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

/** The ten states. */
export function naclStates(): NaclState[] {
  const out: NaclState[] = [{
    file: "NaCl_B1_0GPa_298K.cif",
    phase: "B1",
    pressureGPa: 0,
    a: B1_A0,
    source: "measured, 26 °C: Swanson & Fuyat, NBS Circular 539 vol. II (1953)",
  }];
  for (const p of [1, 2, 4, 8, 12, 16, 24]) {
    const x = solveX((x) => birchMurnaghan3(x, B1_K0, B1_K0P), p);
    out.push({
      file: `NaCl_B1_${p}GPa.cif`,
      phase: "B1",
      pressureGPa: p,
      a: round4(B1_A0 * x),
      source: `3rd-order Birch–Murnaghan, a0 ${B1_A0} Å, K0 ${B1_K0} GPa, K0' ${B1_K0P}`,
    });
  }
  const b2a0 = Math.cbrt(B2_V0);
  for (const p of [30, 40]) {
    const x = solveX((x) => vinet(x, B2_K0, B2_K0P), p);
    out.push({
      file: `NaCl_B2_${p}GPa.cif`,
      phase: "B2",
      pressureGPa: p,
      a: round4(b2a0 * x),
      source: `Vinet, V0 ${B2_V0} Å³, K0 ${B2_K0} GPa, K0' ${B2_K0P} (Fei et al. 2007)`,
    });
  }
  return out;
}

/** The conventional cell of a state. */
export function naclStructure(s: NaclState): Structure {
  const lattice = Lattice.fromParameters(s.a, s.a, s.a, 90, 90, 90);
  const site = (el: string, frac: [number, number, number]): Site => ({ species: [[el, 1]], frac });
  if (s.phase === "B2") return new Structure(lattice, [site("Na", [0, 0, 0]), site("Cl", [0.5, 0.5, 0.5])]);
  const fcc: [number, number, number][] = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]];
  return new Structure(lattice, [
    ...fcc.map((f) => site("Na", f)),
    ...fcc.map((f) => site("Cl", f.map((v) => (v + 0.5) % 1) as [number, number, number])),
  ]);
}

if (import.meta.main) {
  const dir = join(REPO_ROOT, "fixtures", "nacl10");
  Deno.mkdirSync(dir, { recursive: true });
  for (const s of naclStates()) {
    Deno.writeTextFileSync(join(dir, s.file), symmetrizedCif(naclStructure(s), { symprec: 0.1 }));
    console.log(`${s.file}  ${s.phase}  ${s.pressureGPa} GPa  a = ${s.a.toFixed(4)} Å  (${s.source})`);
  }
}
