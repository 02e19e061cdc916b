/**
 * Site symmetry: spglib's `site_symmetry.c` (spglib by Atsushi Togo, BSD-3-Clause; see
 * ./README.md) in TypeScript. Symmetrizes atomic positions of the conventional cell by averaging
 * over each site's symmetry (R. W. Grosse-Kunstleve and P. D. Adams, Acta Cryst. A58, 60–65,
 * 2002), groups equivalent atoms and assigns Wyckoff letters and site-symmetry symbols.
 *
 * Bulk crystals only (no aperiodic axis).
 *
 * @module
 */
import type { Cell, Mat3, Symmetry, Vec3, VecDBL } from "./types.ts";
import { celIsOverlap, celIsOverlapWithSameType } from "./cell.ts";
import {
  matCopyVectorD3,
  matDmod1,
  matMultiplyMatrixVectorD3,
  matMultiplyMatrixVectorId3,
  matNint,
} from "./mathfunc.ts";
import {
  ssmdbGetCoordinate,
  ssmdbGetSiteSymmetrySymbol,
  ssmdbGetWyckoffIndices,
} from "./sitesym_database.ts";

const INCREASE_RATE = 1.05;
const NUM_ATTEMPT = 5;

/** What {@link ssmGetExactPositions} finds. */
export interface ExactPositions {
  /** Symmetrized positions, one per atom of the conventional primitive cell. */
  positions: VecDBL;
  /** Wyckoff letter indices (0 = a). */
  wyckoffs: number[];
  /** Index of the first atom of each atom's orbit. */
  equivAtoms: number[];
  siteSymmetrySymbols: string[];
}

/**
 * spglib `ssm_get_exact_positions`: symmetrized positions, equivalent atoms and Wyckoff labels;
 * the position tolerance grows by 5% (up to 5 attempts) while Wyckoff letters cannot be assigned.
 * Null on failure.
 */
export function ssmGetExactPositions(
  convPrim: Cell,
  convSym: Symmetry,
  numPureTrans: number,
  hallNumber: number,
  symprec: number,
): ExactPositions | null {
  let tolerance = symprec;
  for (let attempt = 0; attempt < NUM_ATTEMPT; attempt++) {
    const { positions, equivAtoms } = getExactPositions(convPrim, convSym, tolerance);
    const labels = setWyckoffsLabels(
      positions,
      equivAtoms,
      convPrim,
      convSym,
      numPureTrans,
      hallNumber,
      symprec,
    );
    if (labels !== null) {
      return {
        positions,
        wyckoffs: labels.wyckoffs,
        equivAtoms,
        siteSymmetrySymbols: labels.siteSymmetrySymbols,
      };
    }
    tolerance *= INCREASE_RATE;
  }
  return null;
}

/** spglib `set_Wyckoffs_labels`: null when some independent atom gets no Wyckoff letter. */
function setWyckoffsLabels(
  positions: VecDBL,
  equivAtoms: number[],
  convPrim: Cell,
  convSym: Symmetry,
  numPureTrans: number,
  hallNumber: number,
  symprec: number,
): { wyckoffs: number[]; siteSymmetrySymbols: string[] } | null {
  const n = convPrim.size;
  const numsEquivAtoms = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) numsEquivAtoms[equivAtoms[i]]++;
  const wyckoffs = new Array<number>(n).fill(-1);
  const symbols = new Array<string>(n).fill("");
  for (let i = 0; i < n; i++) {
    if (i !== equivAtoms[i]) continue;
    const w = getWyckoffNotation(
      positions.vec[i],
      convSym,
      numsEquivAtoms[i] * numPureTrans,
      convPrim.lattice,
      hallNumber,
      symprec,
    );
    if (w === null) return null;
    wyckoffs[i] = w.letter;
    symbols[i] = w.symbol;
  }
  for (let i = 0; i < n; i++) {
    if (i !== equivAtoms[i]) {
      wyckoffs[i] = wyckoffs[equivAtoms[i]];
      symbols[i] = symbols[equivAtoms[i]];
    }
  }
  return { wyckoffs, siteSymmetrySymbols: symbols };
}

/** spglib `get_exact_positions`. */
function getExactPositions(
  convPrim: Cell,
  convSym: Symmetry,
  symprec: number,
): { positions: VecDBL; equivAtoms: number[] } {
  const n = convPrim.size;
  const vec: Vec3[] = [];
  for (let i = 0; i < n; i++) vec.push([0, 0, 0]);
  const positions: VecDBL = { size: n, vec };
  const equivAtoms = new Array<number>(n).fill(0);
  const indepAtoms: number[] = [];
  for (let i = 0; i < n; i++) {
    if (setEquivalentAtom(positions, equivAtoms, i, indepAtoms, convPrim, convSym, symprec)) continue;
    equivAtoms[i] = i;
    indepAtoms.push(i);
    positions.vec[i] = setExactLocation(
      matCopyVectorD3(convPrim.position[i]),
      convSym,
      convPrim.lattice,
      symprec,
    );
  }
  return { positions, equivAtoms };
}

/** spglib `set_equivalent_atom`: true (and position, orbit set) when atom i is an image of an earlier independent atom. */
function setEquivalentAtom(
  positions: VecDBL,
  equivAtoms: number[],
  i: number,
  indepAtoms: number[],
  convPrim: Cell,
  convSym: Symmetry,
  symprec: number,
): boolean {
  for (const j of indepAtoms) {
    for (let k = 0; k < convSym.size; k++) {
      const pos = matMultiplyMatrixVectorId3(convSym.rot[k], positions.vec[j]);
      for (let l = 0; l < 3; l++) pos[l] += convSym.trans[k][l];
      if (
        celIsOverlapWithSameType(
          pos,
          convPrim.position[i],
          convPrim.types[j],
          convPrim.types[i],
          convPrim.lattice,
          symprec,
        )
      ) {
        positions.vec[i] = pos.map(matDmod1) as Vec3;
        equivAtoms[i] = j;
        return true;
      }
    }
  }
  return false;
}

/** spglib `set_exact_location`: the position averaged over its site-symmetry operations. */
function setExactLocation(
  position: Vec3,
  convSym: Symmetry,
  bravaisLattice: Mat3,
  symprec: number,
): Vec3 {
  let numSum = 0;
  const sumRot: Mat3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  const sumTrans = [0, 0, 0];
  for (let i = 0; i < convSym.size; i++) {
    const pos = matMultiplyMatrixVectorId3(convSym.rot[i], position);
    for (let j = 0; j < 3; j++) pos[j] += convSym.trans[i][j];
    if (celIsOverlap(pos, position, bravaisLattice, symprec)) {
      for (let j = 0; j < 3; j++) {
        sumTrans[j] += convSym.trans[i][j] - matNint(pos[j] - position[j]);
        for (let k = 0; k < 3; k++) sumRot[j][k] += convSym.rot[i][j][k];
      }
      numSum++;
    }
  }
  for (let j = 0; j < 3; j++) {
    sumTrans[j] /= numSum;
    for (let k = 0; k < 3; k++) sumRot[j][k] /= numSum;
  }
  const pos = matMultiplyMatrixVectorD3(sumRot, position);
  return [pos[0] + sumTrans[0], pos[1] + sumTrans[1], pos[2] + sumTrans[2]];
}

/** spglib `get_Wyckoff_notation`: letter index and site-symmetry symbol, or null. */
function getWyckoffNotation(
  position: Vec3,
  convSym: Symmetry,
  refMultiplicity: number,
  bravaisLattice: Mat3,
  hallNumber: number,
  symprec: number,
): { letter: number; symbol: string } | null {
  const posRot: Vec3[] = [];
  for (let i = 0; i < convSym.size; i++) {
    const p = matMultiplyMatrixVectorId3(convSym.rot[i], position);
    for (let j = 0; j < 3; j++) p[j] += convSym.trans[i][j];
    posRot.push(p);
  }
  // Same decisions as spglib's triple loop, with its pure sub-results computed once: which images
  // overlap (independent of the Wyckoff position tried), and per position which images it fixes.
  // A position whose multiplicity is not the reference one can never be chosen, so it is skipped.
  const n = posRot.length;
  let overlaps: boolean[][] | null = null;
  const [start, count] = ssmdbGetWyckoffIndices(hallNumber);
  for (let i = 0; i < count; i++) {
    const { rot, trans, multiplicity } = ssmdbGetCoordinate(start + i);
    if (multiplicity !== refMultiplicity) continue;
    overlaps ??= posRot.map((a) => posRot.map((b) => celIsOverlap(a, b, bravaisLattice, symprec)));
    const fixed = posRot.map((p) => {
      const orbit = matMultiplyMatrixVectorId3(rot, p);
      for (let l = 0; l < 3; l++) orbit[l] += trans[l];
      return celIsOverlap(p, orbit, bravaisLattice, symprec);
    });
    for (let j = 0; j < n; j++) {
      let numSitesym = 0;
      const row = overlaps[j];
      for (let k = 0; k < n; k++) if (row[k] && fixed[k]) numSitesym++;
      if (numSitesym * multiplicity === convSym.size) {
        return { letter: count - i - 1, symbol: ssmdbGetSiteSymmetrySymbol(start + i) };
      }
    }
  }
  return null;
}
