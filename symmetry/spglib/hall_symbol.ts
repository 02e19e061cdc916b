/**
 * Hall-symbol matching: spglib's `hall_symbol.c` (spglib by Atsushi Togo, BSD-3-Clause; see
 * ./README.md) in TypeScript. Given the operations of a crystal in a conventional setting and a
 * candidate Hall number, find the origin shift that maps them onto the database operations of
 * that Hall setting (Grosse-Kunstleve, Acta Cryst. A55, 383 (1999): the shift solves
 * (R − I)·s = Δw for generator rotations R, through precomputed V·S⁺·U matrices of the Smith
 * normal form, one per generator set and lattice centring).
 *
 * The generator / VSpU tables (`data/hall_symbol_tables.json`) were read out of Debian's
 * python3-spglib 2.0.2 by `tools/gen_spg_database.py`.
 *
 * @module
 */
import type { IMat3, Mat3, Symmetry, Vec3 } from "./types.ts";
import { celIsOverlap } from "./cell.ts";
import {
  matCastMatrix3iTo3d,
  matCheckIdentityMatrixI3,
  matCopyMatrixD3,
  matCopyVectorD3,
  matDmod1,
  matGetDeterminantI3,
  matGetSimilarMatrixD3,
  matMultiplyMatrixD3,
  matMultiplyMatrixVectorD3,
  matMultiplyMatrixVectorId3,
} from "./mathfunc.ts";
import { Centering, spgdbGetOperation, spgdbGetOperationIndex } from "./spg_database.ts";
import tables from "./data/hall_symbol_tables.json" with { type: "json" };

/** Three generator rotations, each flattened row-major; an all-zero one is unused. */
type Generators = number[][];
/** V·S⁺·U: 3 rows × 9 columns (Δw of the three generators stacked). */
type VSpU = number[][];

const T = tables as unknown as Record<string, number[][][]>;

// Conventional → primitive basis of the centrings (integer) and back (fractional), as compiled
// into spglib 2.0.2 (its C-face matrix differs from some older spglib sources).
const M_BCC = T.M_bcc as unknown as IMat3;
const M_FCC = T.M_fcc as unknown as IMat3;
const M_AC = T.M_ac as unknown as IMat3;
const M_BC = T.M_bc as unknown as IMat3;
const M_CC = T.M_cc as unknown as IMat3;
const M_RC = T.M_rc as unknown as IMat3;
const M_BCC_INV = T.M_bcc_inv as unknown as Mat3;
const M_FCC_INV = T.M_fcc_inv as unknown as Mat3;
const M_AC_INV = T.M_ac_inv as unknown as Mat3;
const M_BC_INV = T.M_bc_inv as unknown as Mat3;
const M_CC_INV = T.M_cc_inv as unknown as Mat3;
const M_RC_INV = T.M_rc_inv as unknown as Mat3;

function centeringMatrix(centering: Centering): IMat3 | null {
  switch (centering) {
    case Centering.BODY:
      return M_BCC;
    case Centering.FACE:
      return M_FCC;
    case Centering.A_FACE:
      return M_AC;
    case Centering.B_FACE:
      return M_BC;
    case Centering.C_FACE:
      return M_CC;
    case Centering.R_CENTER:
      return M_RC;
    default:
      return null;
  }
}

function centeringInverse(centering: Centering): Mat3 | null {
  switch (centering) {
    case Centering.BODY:
      return M_BCC_INV;
    case Centering.FACE:
      return M_FCC_INV;
    case Centering.A_FACE:
      return M_AC_INV;
    case Centering.B_FACE:
      return M_BC_INV;
    case Centering.C_FACE:
      return M_CC_INV;
    case Centering.R_CENTER:
      return M_RC_INV;
    default:
      return null;
  }
}

/**
 * spglib `hal_match_hall_symbol_db`: the origin shift (conventional basis) that brings `symmetry`
 * (operations in the conventional cell `bravaisLattice`, basis vectors as columns) onto the
 * database operations of `hallNumber`, or null when they do not match within `symprec`.
 */
export function halMatchHallSymbolDb(
  bravaisLattice: Mat3,
  hallNumber: number,
  centering: Centering,
  symmetry: Symmetry,
  symprec: number,
): Vec3 | null {
  return findHallSymbol(bravaisLattice, hallNumber, centering, symmetry, symprec);
}

function findHallSymbol(
  bravaisLattice: Mat3,
  hallNumber: number,
  centering: Centering,
  symmetry: Symmetry,
  symprec: number,
): Vec3 | null {
  const inv = centeringInverse(centering);
  // C leaves the primitive lattice unset for other centrings; a copy is the harmless choice.
  const primitiveLattice = inv === null
    ? matCopyMatrixD3(bravaisLattice)
    : matMultiplyMatrixD3(bravaisLattice, inv);

  let shift: Vec3 | null = null;
  if (489 <= hallNumber && hallNumber <= 530) {
    // Cubic, IT 195–230.
    shift = isHallSymbolCubic(hallNumber, primitiveLattice, symmetry, centering, symprec);
  } else if (462 <= hallNumber && hallNumber <= 488) {
    // Hexagonal, IT 168–194.
    shift = isHallSymbolHexa(hallNumber, primitiveLattice, symmetry, symprec);
  } else if (430 <= hallNumber && hallNumber <= 461) {
    // Trigonal, IT 143–167.
    // The rhombohedral groups: hexagonal axes come R-centred, rhombohedral axes primitive.
    shift = centering === Centering.R_CENTER || RHOMBOHEDRAL_AXES.includes(hallNumber)
      ? isHallSymbolRhombo(hallNumber, primitiveLattice, symmetry, symprec)
      : isHallSymbolTrigonal(hallNumber, primitiveLattice, symmetry, symprec);
  } else if (349 <= hallNumber && hallNumber <= 429) {
    // Tetragonal, IT 75–142.
    shift = isHallSymbolTetra(hallNumber, primitiveLattice, symmetry, centering, symprec);
  } else if (108 <= hallNumber && hallNumber <= 348) {
    // Orthorhombic, IT 16–74.
    shift = isHallSymbolOrtho(hallNumber, primitiveLattice, symmetry, centering, symprec);
  } else if (3 <= hallNumber && hallNumber <= 107) {
    // Monoclinic, IT 3–15.
    shift = isHallSymbolMonocli(hallNumber, primitiveLattice, symmetry, centering, symprec);
  } else if (1 <= hallNumber && hallNumber <= 2) {
    // Triclinic, IT 1–2.
    shift = isHallSymbolTricli(hallNumber, primitiveLattice, symmetry, symprec);
  }
  return shift;
}

/** Hall numbers of the rhombohedral groups in rhombohedral axes (`P 3*` ...). */
const RHOMBOHEDRAL_AXES = [434, 437, 445, 451, 453, 459, 461];
/** Hall numbers of the rhombohedral groups in hexagonal axes (`R 3` ...). */
const HEXAGONAL_AXES = [433, 436, 444, 450, 452, 458, 460];

/** Tries generator set i with the VSpU tables chosen per centring, in spglib's order. */
function loopCentered(
  n: number,
  hallNumber: number,
  primitiveLattice: Mat3,
  symmetry: Symmetry,
  centering: Centering,
  generators: string,
  vspuByCentering: [Centering, string][],
  symprec: number,
): Vec3 | null {
  for (let i = 0; i < n; i++) {
    for (const [c, name] of vspuByCentering) {
      if (centering !== c) continue;
      const shift = isHallSymbol(
        hallNumber,
        primitiveLattice,
        symmetry,
        centering,
        T[generators][i],
        T[name][i],
        symprec,
      );
      if (shift !== null) return shift;
    }
  }
  return null;
}

function isHallSymbolCubic(
  hallNumber: number,
  primitiveLattice: Mat3,
  symmetry: Symmetry,
  centering: Centering,
  symprec: number,
): Vec3 | null {
  return loopCentered(10, hallNumber, primitiveLattice, symmetry, centering, "cubic_generators", [
    [Centering.PRIMITIVE, "cubic_VSpU"],
    [Centering.BODY, "cubic_I_VSpU"],
    [Centering.FACE, "cubic_F_VSpU"],
  ], symprec);
}

function isHallSymbolHexa(
  hallNumber: number,
  primitiveLattice: Mat3,
  symmetry: Symmetry,
  symprec: number,
): Vec3 | null {
  return loopFixed(
    8,
    hallNumber,
    primitiveLattice,
    symmetry,
    Centering.PRIMITIVE,
    "hexa_generators",
    "hexa_VSpU",
    symprec,
  );
}

function isHallSymbolTrigonal(
  hallNumber: number,
  primitiveLattice: Mat3,
  symmetry: Symmetry,
  symprec: number,
): Vec3 | null {
  return loopFixed(
    13,
    hallNumber,
    primitiveLattice,
    symmetry,
    Centering.PRIMITIVE,
    "trigo_generators",
    "trigo_VSpU",
    symprec,
  );
}

/** Rhombohedral groups: hexagonal axes (hR, R-centred) or rhombohedral axes (primitive). */
function isHallSymbolRhombo(
  hallNumber: number,
  primitiveLattice: Mat3,
  symmetry: Symmetry,
  symprec: number,
): Vec3 | null {
  if (HEXAGONAL_AXES.includes(hallNumber)) {
    return loopFixed(
      8,
      hallNumber,
      primitiveLattice,
      symmetry,
      Centering.R_CENTER,
      "rhombo_h_generators",
      "rhombo_h_VSpU",
      symprec,
    );
  }
  return loopFixed(
    8,
    hallNumber,
    primitiveLattice,
    symmetry,
    Centering.PRIMITIVE,
    "rhombo_p_generators",
    "rhombo_p_VSpU",
    symprec,
  );
}

function loopFixed(
  n: number,
  hallNumber: number,
  primitiveLattice: Mat3,
  symmetry: Symmetry,
  centering: Centering,
  generators: string,
  vspu: string,
  symprec: number,
): Vec3 | null {
  for (let i = 0; i < n; i++) {
    const shift = isHallSymbol(
      hallNumber,
      primitiveLattice,
      symmetry,
      centering,
      T[generators][i],
      T[vspu][i],
      symprec,
    );
    if (shift !== null) return shift;
  }
  return null;
}

function isHallSymbolTetra(
  hallNumber: number,
  primitiveLattice: Mat3,
  symmetry: Symmetry,
  centering: Centering,
  symprec: number,
): Vec3 | null {
  return loopCentered(8, hallNumber, primitiveLattice, symmetry, centering, "tetra_generators", [
    [Centering.PRIMITIVE, "tetra_VSpU"],
    [Centering.BODY, "tetra_I_VSpU"],
  ], symprec);
}

function isHallSymbolOrtho(
  hallNumber: number,
  primitiveLattice: Mat3,
  symmetry: Symmetry,
  centering: Centering,
  symprec: number,
): Vec3 | null {
  return loopCentered(5, hallNumber, primitiveLattice, symmetry, centering, "ortho_generators", [
    [Centering.PRIMITIVE, "ortho_VSpU"],
    [Centering.BODY, "ortho_I_VSpU"],
    [Centering.FACE, "ortho_F_VSpU"],
    [Centering.A_FACE, "ortho_A_VSpU"],
    [Centering.B_FACE, "ortho_B_VSpU"],
    [Centering.C_FACE, "ortho_C_VSpU"],
  ], symprec);
}

function isHallSymbolMonocli(
  hallNumber: number,
  primitiveLattice: Mat3,
  symmetry: Symmetry,
  centering: Centering,
  symprec: number,
): Vec3 | null {
  return loopCentered(9, hallNumber, primitiveLattice, symmetry, centering, "monocli_generators", [
    [Centering.PRIMITIVE, "monocli_VSpU"],
    [Centering.A_FACE, "monocli_A_VSpU"],
    [Centering.B_FACE, "monocli_B_VSpU"],
    [Centering.C_FACE, "monocli_C_VSpU"],
    [Centering.BODY, "monocli_I_VSpU"],
  ], symprec);
}

function isHallSymbolTricli(
  hallNumber: number,
  primitiveLattice: Mat3,
  symmetry: Symmetry,
  symprec: number,
): Vec3 | null {
  return loopFixed(
    2,
    hallNumber,
    primitiveLattice,
    symmetry,
    Centering.PRIMITIVE,
    "tricli_generators",
    "tricli_VSpU",
    symprec,
  );
}

function unpackGenerators(generators: Generators): IMat3[] {
  return generators.map((g) => [[g[0], g[1], g[2]], [g[3], g[4], g[5]], [g[6], g[7], g[8]]]);
}

/**
 * One generator set: the origin shift when the operations match the database. It is solved and
 * checked in the primitive basis of the centring and returned in the conventional basis.
 */
function isHallSymbol(
  hallNumber: number,
  primitiveLattice: Mat3,
  symmetry: Symmetry,
  centering: Centering,
  generators: Generators,
  vspu: VSpU,
  symprec: number,
): Vec3 | null {
  const operationIndex = spgdbGetOperationIndex(hallNumber);
  if (operationIndex[0] !== symmetry.size) return null;
  const rot = unpackGenerators(generators);
  const trans = getTranslations(symmetry, rot);
  if (trans === null) return null;
  const shift = getOriginShift(hallNumber, rot, trans, centering, vspu);
  if (shift === null) return null;
  if (!isMatchDatabase(hallNumber, shift, primitiveLattice, centering, symmetry, symprec)) return null;
  const inv = centeringInverse(centering);
  return inv === null ? shift : matMultiplyMatrixVectorD3(inv, shift);
}

/** Translation of the first operation whose rotation is each (non-zero) generator. */
function getTranslations(symmetry: Symmetry, rot: IMat3[]): Vec3[] | null {
  const zero: IMat3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  const trans: Vec3[] = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (let i = 0; i < 3; i++) {
    if (matCheckIdentityMatrixI3(rot[i], zero)) continue;
    let found = false;
    for (let j = 0; j < symmetry.size; j++) {
      if (matCheckIdentityMatrixI3(symmetry.rot[j], rot[i])) {
        trans[i] = matCopyVectorD3(symmetry.trans[j]);
        found = true;
        break;
      }
    }
    if (!found) return null;
  }
  return trans;
}

/** A conventional translation in the primitive basis of the centring, reduced to [-0.5, 0.5]. */
function transformTranslation(centering: Centering, trans: Vec3): Vec3 {
  const m = centeringMatrix(centering);
  const reduced = m === null ? matCopyVectorD3(trans) : matMultiplyMatrixVectorId3(m, trans);
  return reduced;
}

/** A conventional rotation in the primitive basis of the centring. */
function transformRotation(centering: Centering, rot: IMat3): Mat3 {
  const rotReduced = matCastMatrix3iTo3d(rot);
  const inv = centeringInverse(centering);
  if (inv === null) return rotReduced;
  return matGetSimilarMatrixD3(rotReduced, inv, 0) ?? rotReduced;
}

/** s = VSpU·Δw (primitive basis), each component reduced to [-0.5, 0.5]. */
function getOriginShift(
  hallNumber: number,
  rot: IMat3[],
  trans: Vec3[],
  centering: Centering,
  vspu: VSpU,
): Vec3 | null {
  const dw: number[] = new Array(9).fill(0);
  for (let i = 0; i < 3; i++) {
    // A zero matrix marks an unused generator: its Δw stays 0.
    if (matGetDeterminantI3(rot[i]) === 0) continue;
    const d = setDw(hallNumber, rot[i], trans[i], centering);
    if (d === null) return null;
    dw[i * 3] = d[0];
    dw[i * 3 + 1] = d[1];
    dw[i * 3 + 2] = d[2];
  }
  const shift: Vec3 = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    let s = 0;
    for (let j = 0; j < 9; j++) s += vspu[i][j] * dw[j];
    shift[i] = matDmod1(s);
  }
  return shift;
}

/** Δw = database translation − found translation of the first database operation with this rotation. */
function setDw(hallNumber: number, rot: IMat3, trans: Vec3, centering: Centering): Vec3 | null {
  const transPrim = transformTranslation(centering, trans);
  for (const db of databaseInBasis(hallNumber, centering)) {
    if (matCheckIdentityMatrixI3(db.rot, rot)) {
      const dw: Vec3 = [0, 0, 0];
      for (let j = 0; j < 3; j++) {
        dw[j] = matDmod1(transPrim[j] - db.transPrim[j]);
      }
      return dw;
    }
  }
  return null;
}

/** Every operation, shifted by the origin shift, equals a distinct database operation within symprec. */
function isMatchDatabase(
  hallNumber: number,
  originShift: Vec3,
  primitiveLattice: Mat3,
  centering: Centering,
  symmetry: Symmetry,
  symprec: number,
): boolean {
  const db = databaseInBasis(hallNumber, centering);
  const foundList: boolean[] = new Array(Math.max(symmetry.size, db.length)).fill(false);
  for (let i = 0; i < symmetry.size; i++) {
    let isFound = false;
    let transPrim: Vec3 | null = null;
    for (let j = 0; j < db.length; j++) {
      const op = db[j];
      if (!matCheckIdentityMatrixI3(symmetry.rot[i], op.rot)) continue;
      transPrim ??= transformTranslation(centering, symmetry.trans[i]);
      const diff: Vec3 = [0, 0, 0];
      for (let k = 0; k < 3; k++) diff[k] = transPrim[k] - op.transPrim[k] + originShift[k];
      const shiftRot = matMultiplyMatrixVectorD3(op.rotPrim, originShift);
      if (celIsOverlap(diff, shiftRot, primitiveLattice, symprec)) {
        if (!foundList[j]) {
          foundList[j] = true;
          isFound = true;
          break;
        }
      }
    }
    if (!isFound) return false;
  }
  return true;
}

/** A database operation with its translation and rotation in the primitive basis of a centring. */
interface DatabaseOperation {
  rot: IMat3;
  transPrim: Vec3;
  rotPrim: Mat3;
}

const DATABASE_CACHE = new Map<number, DatabaseOperation[]>();

/** The database operations of a Hall number in the primitive basis of a centring (cached: pure). */
function databaseInBasis(hallNumber: number, centering: Centering): DatabaseOperation[] {
  const key = hallNumber * 16 + centering;
  let ops = DATABASE_CACHE.get(key);
  if (ops === undefined) {
    const [size, start] = spgdbGetOperationIndex(hallNumber);
    ops = [];
    for (let j = 0; j < size; j++) {
      const op = spgdbGetOperation(start + j);
      ops.push({
        rot: op.rot,
        transPrim: transformTranslation(centering, op.trans),
        rotPrim: transformRotation(centering, op.rot),
      });
    }
    DATABASE_CACHE.set(key, ops);
  }
  return ops;
}
