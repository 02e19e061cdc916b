/**
 * Refinement: spglib's `refinement.c` (spglib by Atsushi Togo, BSD-3-Clause; see ./README.md)
 * in TypeScript. From a space group found on the primitive cell it builds the standardized,
 * symmetrized ("exact") conventional cell, the symmetry operations of the input cell, the
 * equivalent atoms and the rigid rotation to the standardized orientation.
 *
 * Bulk crystals only (hall_number > 0, no aperiodic axis).
 *
 * @module
 */
import type { Cell, IMat3, Mat3, Symmetry, Vec3 } from "./types.ts";
import { celAllocCell, celIsOverlap, celIsOverlapWithSameType } from "./cell.ts";
import {
  matCastMatrix3dTo3i,
  matCastMatrix3iTo3d,
  matCheckIdentityMatrixD3,
  matCheckIdentityMatrixI3,
  matCopyMatrixD3,
  matCopyVectorD3,
  matCrossProductD3,
  matDmod1,
  matGetDeterminantI3,
  matGetMetric,
  matInverseMatrixD3,
  matMultiplyMatrixD3,
  matMultiplyMatrixDi3,
  matMultiplyMatrixVectorD3,
  matMultiplyMatrixVectorId3,
  matNint,
  matNormSquaredD3,
  matTransposeMatrixD3,
} from "./mathfunc.ts";
import { Holohedry, ptgGetPointgroup } from "./pointgroup.ts";
import { ssmGetExactPositions } from "./site_symmetry.ts";
import type { Spacegroup } from "./spacegroup.ts";
import { spgdbGetOperationIndex, spgdbGetSpacegroupOperations } from "./spg_database.ts";

/** spglib `ExactStructure`: the standardized cell and what goes with it. */
export interface ExactStructure {
  /** Standardized (idealized, symmetrized) conventional cell. */
  bravais: Cell;
  /** Symmetry operations of the input cell. */
  symmetry: Symmetry;
  /** Wyckoff letter indices (0 = a) per input atom. */
  wyckoffs: number[];
  /** Site-symmetry symbols per input atom. */
  siteSymmetrySymbols: string[];
  equivalentAtoms: number[];
  crystallographicOrbits: number[];
  /** For each atom of `bravais`, its index in the primitive cell. */
  stdMappingToPrimitive: number[];
  /** Rigid rotation from the input orientation to the standardized one. */
  rotation: Mat3;
}

const IDENTITY: IMat3 = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];

/**
 * spglib `ref_get_exact_structure_and_symmetry`. Overwrites `spacegroup.bravaisLattice` and
 * `spacegroup.originShift` (as spglib does) with the setting closest to the standard lattice.
 */
export function refGetExactStructureAndSymmetry(
  spacegroup: Spacegroup,
  primitive: Cell,
  cell: Cell,
  mappingTable: number[],
  symprec: number,
): ExactStructure | null {
  if (!refFindSimilarBravaisLattice(spacegroup, symprec)) return null;
  const symmetry = getRefinedSymmetryOperations(cell, primitive, spacegroup, symprec);
  if (symmetry === null) return null;
  const w = getWyckoffPositions(primitive, cell, spacegroup, symmetry, mappingTable, symprec);
  if (w === null) return null;
  const rotation = refMeasureRigidRotation(spacegroup.bravaisLattice, w.bravais.lattice);
  return {
    bravais: w.bravais,
    symmetry,
    wyckoffs: w.wyckoffs,
    siteSymmetrySymbols: w.siteSymmetrySymbols,
    equivalentAtoms: w.equivAtoms,
    crystallographicOrbits: w.crystallographicOrbits,
    stdMappingToPrimitive: w.stdMappingToPrimitive,
    rotation,
  };
}

interface WyckoffResult {
  bravais: Cell;
  wyckoffs: number[];
  siteSymmetrySymbols: string[];
  equivAtoms: number[];
  crystallographicOrbits: number[];
  stdMappingToPrimitive: number[];
}

/** spglib `get_Wyckoff_positions`. */
function getWyckoffPositions(
  primitive: Cell,
  cell: Cell,
  spacegroup: Spacegroup,
  symmetry: Symmetry,
  mappingTable: number[],
  symprec: number,
): WyckoffResult | null {
  const b = getBravaisExactPositionsAndLattice(spacegroup, primitive, symprec);
  if (b === null) return null;
  const wyckoffs: number[] = [];
  const siteSymmetrySymbols: string[] = [];
  for (let i = 0; i < cell.size; i++) {
    wyckoffs.push(b.wyckoffs[mappingTable[i]]);
    siteSymmetrySymbols.push(b.siteSymmetrySymbols[mappingTable[i]]);
  }
  const crystallographicOrbits = setCrystallographicOrbits(primitive, cell, b.equivAtoms, mappingTable);
  const operationIndex = spgdbGetOperationIndex(spacegroup.hallNumber);
  const numPrimSym = Math.trunc(operationIndex[0] / Math.trunc(b.bravais.size / primitive.size));
  let equivAtoms: number[];
  // An unusual multiplicity of the primitive cell means the symmetry of the input is broken.
  if (cell.size * numPrimSym !== symmetry.size * primitive.size) {
    equivAtoms = setEquivalentAtomsBrokenSymmetry(cell, symmetry, mappingTable, symprec);
  } else {
    equivAtoms = crystallographicOrbits.slice();
  }
  return {
    bravais: b.bravais,
    wyckoffs,
    siteSymmetrySymbols,
    equivAtoms,
    crystallographicOrbits,
    stdMappingToPrimitive: b.stdMappingToPrimitive,
  };
}

interface BravaisResult {
  bravais: Cell;
  wyckoffs: number[];
  siteSymmetrySymbols: string[];
  equivAtoms: number[];
  stdMappingToPrimitive: number[];
}

/** spglib `get_bravais_exact_positions_and_lattice`. */
function getBravaisExactPositionsAndLattice(
  spacegroup: Spacegroup,
  primitive: Cell,
  symprec: number,
): BravaisResult | null {
  const convPrim = getConventionalPrimitive(spacegroup, primitive);
  if (convPrim === null) return null;
  const convSym = spgdbGetSpacegroupOperations(spacegroup.hallNumber);
  if (convSym === null) return null;
  const numPureTrans = getNumberOfPureTranslation(convSym);
  convPrim.lattice = refGetConventionalLattice(spacegroup);
  const exact = ssmGetExactPositions(convPrim, convSym, numPureTrans, spacegroup.hallNumber, symprec);
  if (exact === null) return null;
  for (let i = 0; i < convPrim.size; i++) convPrim.position[i] = matCopyVectorD3(exact.positions.vec[i]);
  return expandPositionsInBravais(
    convPrim,
    convSym,
    numPureTrans,
    exact.wyckoffs,
    exact.siteSymmetrySymbols,
    exact.equivAtoms,
  );
}

/** spglib `expand_positions_in_bravais`. */
function expandPositionsInBravais(
  convPrim: Cell,
  convSym: Symmetry,
  numPureTrans: number,
  wyckoffsPrim: number[],
  siteSymmetrySymbolsPrim: string[],
  equivAtomsPrim: number[],
): BravaisResult | null {
  const bravais = celAllocCell(convPrim.size * numPureTrans);
  if (bravais === null) return null;
  const wyckoffs: number[] = [];
  const siteSymmetrySymbols: string[] = [];
  const equivAtoms: number[] = [];
  const stdMappingToPrimitive: number[] = [];
  let numAtom = 0;
  for (let i = 0; i < convSym.size; i++) {
    // Pure lattice translations of the conventional cell.
    if (!matCheckIdentityMatrixI3(IDENTITY, convSym.rot[i])) continue;
    for (let j = 0; j < convPrim.size; j++) {
      bravais.types[numAtom] = convPrim.types[j];
      const p = convPrim.position[j];
      const t = convSym.trans[i];
      bravais.position[numAtom] = [p[0] + t[0], p[1] + t[1], p[2] + t[2]];
      wyckoffs.push(wyckoffsPrim[j]);
      siteSymmetrySymbols.push(siteSymmetrySymbolsPrim[j]);
      equivAtoms.push(equivAtomsPrim[j]);
      stdMappingToPrimitive.push(j);
      numAtom++;
    }
  }
  for (let i = 0; i < numAtom; i++) {
    bravais.position[i] = bravais.position[i].map(matDmod1) as Vec3;
  }
  bravais.lattice = matCopyMatrixD3(convPrim.lattice);
  return { bravais, wyckoffs, siteSymmetrySymbols, equivAtoms, stdMappingToPrimitive };
}

/** spglib `get_number_of_pure_translation`. */
function getNumberOfPureTranslation(convSym: Symmetry): number {
  let n = 0;
  for (let i = 0; i < convSym.size; i++) {
    if (matCheckIdentityMatrixI3(IDENTITY, convSym.rot[i])) n++;
  }
  return n;
}

/** spglib `get_conventional_primitive`: primitive atoms in the conventional basis, origin shifted. */
function getConventionalPrimitive(spacegroup: Spacegroup, primitive: Cell): Cell | null {
  const convPrim = celAllocCell(primitive.size);
  if (convPrim === null) return null;
  const invBrv = matInverseMatrixD3(spacegroup.bravaisLattice, 0);
  if (invBrv === null) return null;
  const transMat = matMultiplyMatrixD3(invBrv, primitive.lattice);
  for (let i = 0; i < primitive.size; i++) {
    convPrim.types[i] = primitive.types[i];
    const p = matMultiplyMatrixVectorD3(transMat, primitive.position[i]);
    for (let j = 0; j < 3; j++) {
      p[j] += spacegroup.originShift[j];
      p[j] = matDmod1(p[j]);
    }
    convPrim.position[i] = p;
  }
  return convPrim;
}

/** spglib `ref_get_conventional_lattice`: the idealized conventional lattice in standard orientation. */
export function refGetConventionalLattice(spacegroup: Spacegroup): Mat3 {
  const pointgroup = ptgGetPointgroup(spacegroup.pointgroupNumber);
  const metric = matGetMetric(spacegroup.bravaisLattice);
  const z: Mat3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  switch (pointgroup.holohedry) {
    case Holohedry.TRICLI:
      return setTricli(metric);
    case Holohedry.MONOCLI:
      return setMonocli(metric, spacegroup.choice);
    case Holohedry.ORTHO:
      return setOrtho(metric);
    case Holohedry.TETRA:
      return setTetra(metric);
    case Holohedry.TRIGO:
      return spacegroup.choice[0] === "R" ? setRhomb(metric) : setTrigo(metric);
    case Holohedry.HEXA:
      return setTrigo(metric);
    case Holohedry.CUBIC:
      return setCubic(metric);
    default:
      return z;
  }
}

/** spglib `set_tricli` (fractional-coordinates convention, a along x, b in the xy plane). */
function setTricli(metric: Mat3): Mat3 {
  const l: Mat3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  const a = Math.sqrt(metric[0][0]);
  const b = Math.sqrt(metric[1][1]);
  const c = Math.sqrt(metric[2][2]);
  const alpha = Math.acos(metric[1][2] / b / c);
  const beta = Math.acos(metric[0][2] / a / c);
  const gamma = Math.acos(metric[0][1] / a / b);
  const cg = Math.cos(gamma);
  const cb = Math.cos(beta);
  const ca = Math.cos(alpha);
  const sg = Math.sin(gamma);
  l[0][0] = a;
  l[0][1] = b * cg;
  l[0][2] = c * cb;
  l[1][1] = b * sg;
  l[1][2] = c * (ca - cb * cg) / sg;
  l[2][2] = c * Math.sqrt(1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg) / sg;
  return l;
}

/** spglib `set_monocli`: unique axis taken from the setting's choice ("b", "-c1", ...). */
function setMonocli(metric: Mat3, choice: string): Mat3 {
  const l: Mat3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  const a = Math.sqrt(metric[0][0]);
  const b = Math.sqrt(metric[1][1]);
  const c = Math.sqrt(metric[2][2]);
  const axis = choice[0] === "-" ? choice[1] : choice[0];
  if (axis === "a") {
    const angle = Math.acos(metric[1][2] / b / c);
    l[0][2] = c;
    l[1][0] = a;
    l[0][1] = b * Math.cos(angle);
    l[2][1] = b * Math.sin(angle);
  } else if (axis === "b") {
    const angle = Math.acos(metric[0][2] / a / c);
    l[0][0] = a;
    l[1][1] = b;
    l[0][2] = c * Math.cos(angle);
    l[2][2] = c * Math.sin(angle);
  } else if (axis === "c") {
    const angle = Math.acos(metric[0][1] / a / b);
    l[0][1] = b;
    l[1][2] = c;
    l[0][0] = a * Math.cos(angle);
    l[2][0] = a * Math.sin(angle);
  }
  return l;
}

/** spglib `set_ortho`. */
function setOrtho(metric: Mat3): Mat3 {
  return [[Math.sqrt(metric[0][0]), 0, 0], [0, Math.sqrt(metric[1][1]), 0], [0, 0, Math.sqrt(metric[2][2])]];
}

/** spglib `set_tetra`: a = b = mean of a and b. */
function setTetra(metric: Mat3): Mat3 {
  const a = Math.sqrt(metric[0][0]);
  const b = Math.sqrt(metric[1][1]);
  const c = Math.sqrt(metric[2][2]);
  return [[(a + b) / 2, 0, 0], [0, (a + b) / 2, 0], [0, 0, c]];
}

/** spglib `set_rhomb`: rhombohedral axes with a mean length and a mean angle. */
function setRhomb(metric: Mat3): Mat3 {
  const l: Mat3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  const a = Math.sqrt(metric[0][0]);
  const b = Math.sqrt(metric[1][1]);
  const c = Math.sqrt(metric[2][2]);
  const angle = Math.acos((metric[0][1] / a / b + metric[0][2] / a / c + metric[1][2] / b / c) / 3);
  const ahex = 2 * (a + b + c) / 3 * Math.sin(angle / 2);
  const chex = (a + b + c) / 3 * Math.sqrt(3 * (1 + 2 * Math.cos(angle)));
  l[0][0] = ahex / 2;
  l[1][0] = ahex / (2 * Math.sqrt(3));
  l[2][0] = chex / 3;
  l[0][1] = -ahex / 2;
  l[1][1] = ahex / (2 * Math.sqrt(3));
  l[2][1] = chex / 3;
  l[0][2] = 0;
  l[1][2] = -ahex / Math.sqrt(3);
  l[2][2] = chex / 3;
  return l;
}

/** spglib `set_trigo`: hexagonal axes, a = b = mean of a and b, γ = 120°. */
function setTrigo(metric: Mat3): Mat3 {
  const a = Math.sqrt(metric[0][0]);
  const b = Math.sqrt(metric[1][1]);
  const c = Math.sqrt(metric[2][2]);
  return [[(a + b) / 2, -(a + b) / 4, 0], [0, (a + b) / 4 * Math.sqrt(3), 0], [0, 0, c]];
}

/** spglib `set_cubic`: a = b = c = mean length. */
function setCubic(metric: Mat3): Mat3 {
  const a = Math.sqrt(metric[0][0]);
  const b = Math.sqrt(metric[1][1]);
  const c = Math.sqrt(metric[2][2]);
  const m = (a + b + c) / 3;
  return [[m, 0, 0], [0, m, 0], [0, 0, m]];
}

/** spglib `get_refined_symmetry_operations`: database operations brought to the input cell. */
function getRefinedSymmetryOperations(
  cell: Cell,
  primitive: Cell,
  spacegroup: Spacegroup,
  symprec: number,
): Symmetry | null {
  const convSym = spgdbGetSpacegroupOperations(spacegroup.hallNumber);
  if (convSym === null) return null;
  const invPrimLat = matInverseMatrixD3(primitive.lattice, 0);
  if (invPrimLat === null) return null;
  let tMat = matMultiplyMatrixD3(invPrimLat, spacegroup.bravaisLattice);
  setTranslationWithOriginShift(convSym, spacegroup.originShift);
  const primSym = getPrimitiveDbSymmetry(tMat, convSym);
  if (primSym === null) return null;
  tMat = matMultiplyMatrixD3(invPrimLat, cell.lattice);
  const tMatInt = matCastMatrix3dTo3i(tMat);
  return recoverSymmetryInOriginalCell(
    primSym,
    tMatInt,
    cell.lattice,
    Math.trunc(cell.size / primitive.size),
    symprec,
  );
}

/** spglib `set_crystallographic_orbits`. */
function setCrystallographicOrbits(
  primitive: Cell,
  cell: Cell,
  equivAtomsPrim: number[],
  mappingTable: number[],
): number[] {
  const equivAtoms = new Array<number>(primitive.size).fill(0);
  for (let i = 0; i < primitive.size; i++) {
    for (let j = 0; j < cell.size; j++) {
      if (mappingTable[j] === equivAtomsPrim[i]) {
        equivAtoms[i] = j;
        break;
      }
    }
  }
  const out: number[] = [];
  for (let i = 0; i < cell.size; i++) out.push(equivAtoms[mappingTable[i]]);
  return out;
}

/** spglib `set_equivalent_atoms_broken_symmetry`. */
function setEquivalentAtomsBrokenSymmetry(
  cell: Cell,
  symmetry: Symmetry,
  mappingTable: number[],
  symprec: number,
): number[] {
  const equiv = new Array<number>(cell.size).fill(0);
  for (let i = 0; i < cell.size; i++) {
    equiv[i] = i;
    for (let j = 0; j < cell.size; j++) {
      if (mappingTable[i] === mappingTable[j]) {
        if (i === j) {
          equiv[i] = equiv[searchEquivalentAtom(i, cell, symmetry, symprec)];
        } else {
          equiv[i] = equiv[j];
        }
        break;
      }
    }
  }
  return equiv;
}

/** spglib `search_equivalent_atom`. */
function searchEquivalentAtom(atomIndex: number, cell: Cell, symmetry: Symmetry, symprec: number): number {
  for (let i = 0; i < symmetry.size; i++) {
    const p = matMultiplyMatrixVectorId3(symmetry.rot[i], cell.position[atomIndex]);
    for (let j = 0; j < 3; j++) p[j] += symmetry.trans[i][j];
    for (let j = 0; j < atomIndex; j++) {
      if (
        celIsOverlapWithSameType(
          cell.position[j],
          p,
          cell.types[j],
          cell.types[atomIndex],
          cell.lattice,
          symprec,
        )
      ) {
        return j;
      }
    }
  }
  return atomIndex;
}

/** spglib `set_translation_with_origin_shift`: t' = t + (R - E)w, in place. */
function setTranslationWithOriginShift(convSym: Symmetry, originShift: Vec3): void {
  for (let i = 0; i < convSym.size; i++) {
    const m = convSym.rot[i].map((r) => r.slice());
    m[0][0]--;
    m[1][1]--;
    m[2][2]--;
    const v = matMultiplyMatrixVectorId3(m, originShift);
    for (let j = 0; j < 3; j++) convSym.trans[i][j] += v[j];
  }
}

/** spglib `get_primitive_db_symmetry`: R' = T·R·T⁻¹, t' = T·t, skipping repeated rotations. */
function getPrimitiveDbSymmetry(tMat: Mat3, convSym: Symmetry): Symmetry | null {
  const invMat = matInverseMatrixD3(tMat, 0);
  if (invMat === null) return null;
  const rot: IMat3[] = [];
  const trans: Vec3[] = [];
  for (let i = 0; i < convSym.size; i++) {
    let seen = false;
    for (let j = 0; j < i; j++) {
      if (matCheckIdentityMatrixI3(convSym.rot[i], convSym.rot[j])) {
        seen = true;
        break;
      }
    }
    if (seen) continue;
    let m = matMultiplyMatrixDi3(tMat, convSym.rot[i]);
    m = matMultiplyMatrixD3(m, invMat);
    rot.push(matCastMatrix3dTo3i(m));
    trans.push(matMultiplyMatrixVectorD3(tMat, convSym.trans[i]));
  }
  return { size: rot.length, rot, trans };
}

/** spglib `get_surrounding_frame`. */
function getSurroundingFrame(tMat: IMat3): number[] {
  const corners = getCorners(tMat);
  const frame = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    let max = corners[i][0];
    let min = corners[i][0];
    for (let j = 1; j < 8; j++) {
      if (max < corners[i][j]) max = corners[i][j];
      if (min > corners[i][j]) min = corners[i][j];
    }
    frame[i] = max - min;
  }
  return frame;
}

/** spglib `get_corners`. */
function getCorners(tMat: IMat3): number[][] {
  const c = [0, 1, 2].map(() => new Array<number>(8).fill(0));
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) c[j][i + 1] = tMat[j][i];
  }
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) c[j][i + 4] = tMat[j][(i + 1) % 3] + tMat[j][(i + 2) % 3];
  }
  for (let i = 0; i < 3; i++) c[i][7] = tMat[i][0] + tMat[i][1] + tMat[i][2];
  return c;
}

/** spglib `recover_symmetry_in_original_cell`. */
function recoverSymmetryInOriginalCell(
  primSym: Symmetry,
  tMat: IMat3,
  lattice: Mat3,
  multiplicity: number,
  symprec: number,
): Symmetry | null {
  const frame = getSurroundingFrame(tMat);
  const invTmat = matInverseMatrixD3(matCastMatrix3iTo3d(tMat), 0);
  if (invTmat === null) return null;
  const latticeTrans = getLatticeTranslations(frame, invTmat);
  const pureTrans = removeOverlappingLatticePoints(lattice, latticeTrans, symprec);
  if (pureTrans === null) return null;
  const tSym = getSymmetryInOriginalCell(tMat, invTmat, lattice, primSym, symprec);
  if (tSym === null) return null;
  if (pureTrans.length !== multiplicity) return null;
  return copySymmetryUponLatticePoints(pureTrans, tSym);
}

/** spglib `get_lattice_translations`. */
function getLatticeTranslations(frame: number[], invTmat: Mat3): Vec3[] {
  const out: Vec3[] = [];
  for (let i = 0; i < frame[0]; i++) {
    for (let j = 0; j < frame[1]; j++) {
      for (let k = 0; k < frame[2]; k++) {
        out.push(matMultiplyMatrixVectorD3(invTmat, [i, j, k]).map(matDmod1) as Vec3);
      }
    }
  }
  return out;
}

/** spglib `remove_overlapping_lattice_points`. */
function removeOverlappingLatticePoints(lattice: Mat3, latticeTrans: Vec3[], symprec: number): Vec3[] | null {
  const pure: Vec3[] = [];
  for (const t of latticeTrans) {
    let found = false;
    for (const p of pure) {
      if (celIsOverlap(t, p, lattice, symprec)) {
        found = true;
        break;
      }
    }
    if (!found) pure.push(matCopyVectorD3(t));
  }
  return pure.length > 0 ? pure : null;
}

/** spglib `get_symmetry_in_original_cell`: R' = T⁻¹·R·T kept when it is a lattice symmetry. */
function getSymmetryInOriginalCell(
  tMat: IMat3,
  invTmat: Mat3,
  lattice: Mat3,
  primSym: Symmetry,
  symprec: number,
): Symmetry | null {
  const rot: IMat3[] = [];
  const trans: Vec3[] = [];
  for (let i = 0; i < primSym.size; i++) {
    const m = matMultiplyMatrixDi3(invTmat, primSym.rot[i]);
    const rotD = matMultiplyMatrixDi3(m, tMat);
    const rotI = matCastMatrix3dTo3i(rotD);
    const latI = matMultiplyMatrixDi3(lattice, rotI);
    const latD = matMultiplyMatrixD3(lattice, rotD);
    if (matCheckIdentityMatrixD3(latI, latD, symprec)) {
      rot.push(rotI);
      trans.push(matMultiplyMatrixVectorD3(invTmat, primSym.trans[i]));
    }
  }
  return { size: rot.length, rot, trans };
}

/** spglib `copy_symmetry_upon_lattice_points`. */
function copySymmetryUponLatticePoints(pureTrans: Vec3[], tSym: Symmetry): Symmetry {
  const rot: IMat3[] = [];
  const trans: Vec3[] = [];
  for (const p of pureTrans) {
    for (let j = 0; j < tSym.size; j++) {
      rot.push(tSym.rot[j].map((r) => r.slice()));
      trans.push(tSym.trans[j].map((t, k) => matDmod1(t + p[k])) as Vec3);
    }
  }
  return { size: rot.length, rot, trans };
}

/**
 * spglib `ref_find_similar_bravais_lattice`: among the proper rotations of the space group, the
 * one bringing `bravaisLattice` closest to the standardized lattice, with the matching shortest
 * origin shift. Modifies `spacegroup` in place; false on failure.
 */
export function refFindSimilarBravaisLattice(spacegroup: Spacegroup, symprec: number): boolean {
  const convSym = spgdbGetSpacegroupOperations(spacegroup.hallNumber);
  if (convSym === null) return false;
  const stdLattice = refGetConventionalLattice(spacegroup);
  const brv = spacegroup.bravaisLattice;
  let minLength2 = 0;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) minLength2 += brv[i][j] * brv[i][j];
  }
  let minLength = Math.sqrt(minLength2);
  let rotI = -1;
  let rotLat: Mat3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (let i = 0; i < convSym.size; i++) {
    if (matGetDeterminantI3(convSym.rot[i]) < 0) continue;
    const m = matMultiplyMatrixDi3(brv, convSym.rot[i]);
    let length2 = 0;
    for (let j = 0; j < 3; j++) {
      for (let k = 0; k < 3; k++) {
        const d = m[j][k] - stdLattice[j][k];
        length2 += d * d;
      }
    }
    const length = Math.sqrt(length2);
    if (length < minLength - symprec) {
      rotLat = m;
      rotI = i;
      minLength = length;
    }
  }
  if (rotI > -1) {
    let minLen = 2.0;
    let shortest: Vec3 = [0, 0, 0];
    for (let i = 0; i < convSym.size; i++) {
      if (!matCheckIdentityMatrixI3(convSym.rot[i], convSym.rot[rotI])) continue;
      const inv = matInverseMatrixD3(matCastMatrix3iTo3d(convSym.rot[i]), 0);
      if (inv === null) continue;
      const p = matMultiplyMatrixVectorD3(inv, spacegroup.originShift);
      const tv = matMultiplyMatrixVectorD3(inv, convSym.trans[i]);
      for (let j = 0; j < 3; j++) {
        p[j] -= tv[j];
        p[j] -= matNint(p[j]);
      }
      const length = Math.sqrt(matNormSquaredD3(p));
      if (length < minLen - symprec) {
        minLen = length;
        shortest = p.map(matDmod1) as Vec3;
      }
    }
    spacegroup.originShift = shortest;
    spacegroup.bravaisLattice = rotLat;
  }
  return true;
}

/** spglib `ref_measure_rigid_rotation`: the rotation taking the orthonormalized bravais frame to the standard one. */
export function refMeasureRigidRotation(bravaisLattice: Mat3, stdLattice: Mat3): Mat3 {
  const brvBasis = getOrthonormalBasis(bravaisLattice);
  const stdBasis = getOrthonormalBasis(stdLattice);
  const inv = matInverseMatrixD3(brvBasis, 0);
  if (inv === null) return [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  return matMultiplyMatrixD3(stdBasis, inv);
}

/** spglib `get_orthonormal_basis`: Gram–Schmidt-like frame from a and b (columns). */
function getOrthonormalBasis(lattice: Mat3): Mat3 {
  const lt = matTransposeMatrixD3(lattice);
  const b2 = matCrossProductD3(lt[0], lt[1]);
  const b1 = matCrossProductD3(b2, lt[0]);
  const bt: Mat3 = [matCopyVectorD3(lt[0]), b1, b2];
  for (let i = 0; i < 3; i++) {
    const len = Math.sqrt(matNormSquaredD3(bt[i]));
    for (let j = 0; j < 3; j++) bt[i][j] /= len;
  }
  return matTransposeMatrixD3(bt);
}
