/**
 * Space-group type search: spglib 2.0.2's `spacegroup.c` (spglib by Atsushi Togo,
 * BSD-3-Clause; see ./README.md) in TypeScript. Bulk crystals only (no layer groups).
 *
 * Given a primitive cell and its symmetry operations, the point group gives trial conventional
 * axes; those are reduced (Niggli for triclinic, 2D Delaunay for monoclinic), the centring is
 * read from the transformation's determinant, and then the Hall symbols of the database are
 * tried in order (the first Hall number of each space-group type, 230 candidates, so the
 * smallest matching Hall number wins). For each candidate the axis choices of its crystal
 * system are tried in spglib's table order, preferring axes that resemble the input lattice.
 * The tables and loop orders decide which of several equivalent settings comes out, so they
 * follow spglib exactly.
 *
 * Lattices hold basis vectors as columns; matrices are row-major.
 *
 * @module
 */
import type { Cell, IMat3, Mat3, Symmetry, Vec3 } from "./types.ts";
import {
  matCastMatrix3dTo3i,
  matCastMatrix3iTo3d,
  matCheckIdentityMatrixD3,
  matCheckIdentityMatrixId3,
  matCopyMatrixD3,
  matCopyMatrixI3,
  matCopyVectorD3,
  matDabs,
  matGetDeterminantD3,
  matGetDeterminantI3,
  matGetMetric,
  matGetSimilarMatrixD3,
  matInverseMatrixD3,
  matIsIntMatrix,
  matMultiplyMatrixD3,
  matMultiplyMatrixDi3,
  matMultiplyMatrixId3,
  matMultiplyMatrixVectorD3,
  matNormSquaredD3,
  vec3,
} from "./mathfunc.ts";
import { celAllocCell, celTrimCell } from "./cell.ts";
import { delDelaunayReduce2D } from "./delaunay.ts";
import { niggliReduce } from "./niggli.ts";
import { Holohedry, Laue, ptgGetPointsymmetry, ptgGetTransformationMatrix } from "./pointgroup.ts";
import type { Primitive } from "./primitive.ts";
import { halMatchHallSymbolDb } from "./hall_symbol.ts";
import { Centering, spgdbGetSpacegroupType } from "./spg_database.ts";
import { symGetOperation, symReduceOperation } from "./symmetry.ts";

/** spglib `Spacegroup`: the space-group type found and the conventional setting it was found in. */
export interface Spacegroup {
  /** International space-group number, 1–230. */
  number: number;
  /** Hall number, 1–530. */
  hallNumber: number;
  /** Point-group number, 1–32. */
  pointgroupNumber: number;
  schoenflies: string;
  hallSymbol: string;
  international: string;
  internationalLong: string;
  internationalShort: string;
  choice: string;
  /** Conventional basis (columns) in Cartesian coordinates, before idealization. */
  bravaisLattice: Mat3;
  /** Origin shift of the Hall setting, in conventional fractional coordinates. */
  originShift: Vec3;
}

/** Tolerance reduction per retry of the Hall-number search. */
const REDUCE_RATE = 0.95;
/** Retries of the Hall-number search with reduced symmetry. */
const NUM_ATTEMPT = 100;
/** How close to integers the rhombohedral correction must come. */
const INT_PREC = 0.1;
/** Slack of the length and angle comparisons. */
const ZERO_PREC = 1e-10;

// Monoclinic axis choices: unique axis b, a, c in turn, then the same with two axes flipped
// (to find non-acute angles). Index i pairs with change_of_centering_monocli[i] (what C-face
// centring becomes) and change_of_unique_axis_monocli[i].
const CHANGE_OF_BASIS_MONOCLI: readonly Mat3[] = [
  [[1, 0, 0], [0, 1, 0], [0, 0, 1]], // b, first turn
  [[0, 0, 1], [0, -1, 0], [1, 0, 0]], // b
  [[0, 0, 1], [1, 0, 0], [0, 1, 0]], // a
  [[1, 0, 0], [0, 0, 1], [0, -1, 0]], // c
  [[0, 1, 0], [0, 0, 1], [1, 0, 0]], // c
  [[0, -1, 0], [1, 0, 0], [0, 0, 1]], // a
  [[-1, 0, 1], [0, 1, 0], [-1, 0, 0]], // b
  [[1, 0, -1], [0, -1, 0], [0, 0, -1]], // b
  [[0, 1, -1], [1, 0, 0], [0, 0, -1]], // a
  [[-1, -1, 0], [0, 0, 1], [-1, 0, 0]], // c
  [[1, -1, 0], [0, 0, 1], [0, -1, 0]], // c
  [[0, 1, 1], [1, 0, 0], [0, 1, 0]], // a
  [[0, 0, -1], [0, 1, 0], [1, 0, -1]], // b
  [[-1, 0, 0], [0, -1, 0], [-1, 0, 1]], // b
  [[0, -1, 0], [1, 0, 0], [0, -1, 1]], // a
  [[0, 1, 0], [0, 0, 1], [1, 1, 0]], // c
  [[-1, 0, 0], [0, 0, 1], [-1, 1, 0]], // c
  [[0, 0, -1], [1, 0, 0], [0, -1, -1]], // a
  [[1, 0, 0], [0, -1, 0], [0, 0, -1]], // b, second turn: two axes flipped
  [[0, 0, -1], [0, 1, 0], [1, 0, 0]], // b
  [[0, 0, 1], [-1, 0, 0], [0, -1, 0]], // a
  [[-1, 0, 0], [0, 0, -1], [0, -1, 0]], // c
  [[0, 1, 0], [0, 0, -1], [-1, 0, 0]], // c
  [[0, 1, 0], [-1, 0, 0], [0, 0, 1]], // a
  [[-1, 0, -1], [0, -1, 0], [-1, 0, 0]], // b
  [[1, 0, 1], [0, 1, 0], [0, 0, 1]], // b
  [[0, -1, -1], [-1, 0, 0], [0, 0, -1]], // a
  [[1, -1, 0], [0, 0, -1], [1, 0, 0]], // c
  [[-1, -1, 0], [0, 0, -1], [0, -1, 0]], // c
  [[0, -1, 1], [-1, 0, 0], [0, -1, 0]], // a
  [[0, 0, 1], [0, -1, 0], [1, 0, 1]], // b
  [[-1, 0, 0], [0, 1, 0], [-1, 0, -1]], // b
  [[0, 1, 0], [-1, 0, 0], [0, 1, 1]], // a
  [[0, 1, 0], [0, 0, -1], [-1, 1, 0]], // c
  [[1, 0, 0], [0, 0, -1], [1, 1, 0]], // c
  [[0, 0, -1], [-1, 0, 0], [0, 1, -1]], // a
];

const MONOCLI_CENTERING_TURN: readonly Centering[] = [
  Centering.C_FACE,
  Centering.A_FACE,
  Centering.B_FACE,
  Centering.B_FACE,
  Centering.A_FACE,
  Centering.C_FACE,
  Centering.A_FACE,
  Centering.C_FACE,
  Centering.C_FACE,
  Centering.A_FACE,
  Centering.B_FACE,
  Centering.B_FACE,
  Centering.BODY,
  Centering.BODY,
  Centering.BODY,
  Centering.BODY,
  Centering.BODY,
  Centering.BODY,
];
const CHANGE_OF_CENTERING_MONOCLI: readonly Centering[] = [
  ...MONOCLI_CENTERING_TURN,
  ...MONOCLI_CENTERING_TURN,
];

const MONOCLI_UNIQUE_AXIS_TURN = [1, 1, 0, 2, 2, 0, 1, 1, 0, 2, 2, 0, 1, 1, 0, 2, 2, 0];
const CHANGE_OF_UNIQUE_AXIS_MONOCLI: readonly number[] = [
  ...MONOCLI_UNIQUE_AXIS_TURN,
  ...MONOCLI_UNIQUE_AXIS_TURN,
];

// Orthorhombic (and cubic) axis choices abc, bca, cab, ba-c, a-cb, -cba.
const CHANGE_OF_BASIS_ORTHO: readonly Mat3[] = [
  [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
  [[0, 0, 1], [1, 0, 0], [0, 1, 0]],
  [[0, 1, 0], [0, 0, 1], [1, 0, 0]],
  [[0, 1, 0], [1, 0, 0], [0, 0, -1]],
  [[1, 0, 0], [0, 0, 1], [0, -1, 0]],
  [[0, 0, 1], [0, 1, 0], [-1, 0, 0]],
];
/** What C-face centring of abc becomes under each orthorhombic axis choice. */
const CHANGE_OF_CENTERING_ORTHO: readonly Centering[] = [
  Centering.C_FACE,
  Centering.B_FACE,
  Centering.A_FACE,
  Centering.C_FACE,
  Centering.B_FACE,
  Centering.A_FACE,
];
/** Index of the old c axis after each orthorhombic axis choice. */
const CHANGE_OF_UNIQUE_AXIS_ORTHO = [2, 1, 0, 2, 1, 0];

/**
 * Number of distinct axis settings of space groups 16–74: the index of L(g) in its Euclidean
 * normalizer (ITA), i.e. 6 / (Hall symbols of the type / x), x = 1 without and 2 with centring.
 */
// deno-fmt-ignore
const NUM_AXIS_CHOICES_ORTHO = [
  6, 2, 2, 6, 2, // 16-20
  2, 6, 6, 6, 2, 1, 2, 1, 1, 1, // 21-30
  1, 2, 1, 2, 2, 1, 2, 1, 1, 1, // 31-40
  1, 2, 2, 2, 2, 1, 6, 6, 2, 2, // 41-50
  1, 1, 1, 1, 2, 2, 1, 2, 2, 1, // 51-60
  3, 1, 1, 1, 2, 2, 2, 2, 6, 6, // 61-70
  6, 2, 6, 2, // 71-74
];

// Rhombohedral a=b=c settings, and the same six settings composed with hR → hP.
const CHANGE_OF_BASIS_RHOMBO: readonly Mat3[] = [
  [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
  [[0, 0, 1], [1, 0, 0], [0, 1, 0]],
  [[0, 1, 0], [0, 0, 1], [1, 0, 0]],
  [[0, 0, -1], [0, -1, 0], [-1, 0, 0]],
  [[0, -1, 0], [-1, 0, 0], [0, 0, -1]],
  [[-1, 0, 0], [0, 0, -1], [0, -1, 0]],
];
const CHANGE_OF_BASIS_RHOMBO_HEX: readonly Mat3[] = [
  [[1, 0, 1], [-1, 1, 1], [0, -1, 1]],
  [[0, -1, 1], [1, 0, 1], [-1, 1, 1]],
  [[-1, 1, 1], [0, -1, 1], [1, 0, 1]],
  [[0, 1, -1], [1, -1, -1], [-1, 0, -1]],
  [[1, -1, -1], [-1, 0, -1], [0, 1, -1]],
  [[-1, 0, -1], [0, 1, -1], [1, -1, -1]],
];

// Tetragonal: fourfold rotations about c, with and without flipping c.
const CHANGE_OF_BASIS_C4: readonly Mat3[] = [
  [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
  [[0, -1, 0], [1, 0, 0], [0, 0, 1]],
  [[-1, 0, 0], [0, -1, 0], [0, 0, 1]],
  [[0, 1, 0], [-1, 0, 0], [0, 0, 1]],
  [[0, 1, 0], [1, 0, 0], [0, 0, -1]],
  [[-1, 0, 0], [0, 1, 0], [0, 0, -1]],
  [[0, -1, 0], [-1, 0, 0], [0, 0, -1]],
  [[1, 0, 0], [0, -1, 0], [0, 0, -1]],
];

// Hexagonal and trigonal: sixfold rotations about c, with and without flipping c.
const CHANGE_OF_BASIS_C6: readonly Mat3[] = [
  [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
  [[1, -1, 0], [1, 0, 0], [0, 0, 1]],
  [[0, -1, 0], [1, -1, 0], [0, 0, 1]],
  [[-1, 0, 0], [0, -1, 0], [0, 0, 1]],
  [[-1, 1, 0], [-1, 0, 0], [0, 0, 1]],
  [[0, 1, 0], [-1, 1, 0], [0, 0, 1]],
  [[0, 1, 0], [1, 0, 0], [0, 0, -1]],
  [[-1, 1, 0], [0, 1, 0], [0, 0, -1]],
  [[-1, 0, 0], [-1, 1, 0], [0, 0, -1]],
  [[0, -1, 0], [-1, 0, 0], [0, 0, -1]],
  [[1, -1, 0], [0, -1, 0], [0, 0, -1]],
  [[1, 0, 0], [1, -1, 0], [0, 0, -1]],
];

/** The first (smallest) Hall number of each space-group type 1–230: the search candidates. */
// deno-fmt-ignore
const SPACEGROUP_TO_HALL_NUMBER: readonly number[] = [
    1,   2,   3,   6,   9,  18,  21,  30,  39,  57, // 1-10
   60,  63,  72,  81,  90, 108, 109, 112, 115, 116, // 11-20
  119, 122, 123, 124, 125, 128, 134, 137, 143, 149, // 21-30
  155, 161, 164, 170, 173, 176, 182, 185, 191, 197, // 31-40
  203, 209, 212, 215, 218, 221, 227, 228, 230, 233, // 41-50
  239, 245, 251, 257, 263, 266, 269, 275, 278, 284, // 51-60
  290, 292, 298, 304, 310, 313, 316, 322, 334, 335, // 61-70
  337, 338, 341, 343, 349, 350, 351, 352, 353, 354, // 71-80
  355, 356, 357, 358, 359, 361, 363, 364, 366, 367, // 81-90
  368, 369, 370, 371, 372, 373, 374, 375, 376, 377, // 91-100
  378, 379, 380, 381, 382, 383, 384, 385, 386, 387, // 101-110
  388, 389, 390, 391, 392, 393, 394, 395, 396, 397, // 111-120
  398, 399, 400, 401, 402, 404, 406, 407, 408, 410, // 121-130
  412, 413, 414, 416, 418, 419, 420, 422, 424, 425, // 131-140
  426, 428, 430, 431, 432, 433, 435, 436, 438, 439, // 141-150
  440, 441, 442, 443, 444, 446, 447, 448, 449, 450, // 151-160
  452, 454, 455, 456, 457, 458, 460, 462, 463, 464, // 161-170
  465, 466, 467, 468, 469, 470, 471, 472, 473, 474, // 171-180
  475, 476, 477, 478, 479, 480, 481, 482, 483, 484, // 181-190
  485, 486, 487, 488, 489, 490, 491, 492, 493, 494, // 191-200
  495, 497, 498, 500, 501, 502, 503, 504, 505, 506, // 201-210
  507, 508, 509, 510, 511, 512, 513, 514, 515, 516, // 211-220
  517, 518, 520, 521, 523, 524, 525, 527, 529, 530, // 221-230
];

const IDENTITY: Mat3 = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
const MONOCLI_I2C: Mat3 = [[1, 0, -1], [0, 1, 0], [1, 0, 0]];
const MONOCLI_A2C: Mat3 = [[0, 0, 1], [0, -1, 0], [1, 0, 0]];
const RHOMBO_OBVERSE: Mat3 = [[2 / 3, -1 / 3, -1 / 3], [1 / 3, 1 / 3, -2 / 3], [1 / 3, 1 / 3, 1 / 3]];
const RHOMB_REVERSE: Mat3 = [[1 / 3, -2 / 3, 1 / 3], [2 / 3, -1 / 3, -1 / 3], [1 / 3, 1 / 3, 1 / 3]];
const A2C: Mat3 = [[0, 0, 1], [1, 0, 0], [0, 1, 0]];
const B2C: Mat3 = [[0, 1, 0], [0, 0, 1], [1, 0, 0]];

// Conventional → primitive basis for each centring.
const A_MAT: Mat3 = [[1, 0, 0], [0, 1 / 2, -1 / 2], [0, 1 / 2, 1 / 2]];
const C_MAT: Mat3 = [[1 / 2, 1 / 2, 0], [-1 / 2, 1 / 2, 0], [0, 0, 1]];
const R_MAT: Mat3 = [[2 / 3, -1 / 3, -1 / 3], [1 / 3, 1 / 3, -2 / 3], [1 / 3, 1 / 3, 1 / 3]];
const I_MAT: Mat3 = [[-1 / 2, 1 / 2, 1 / 2], [1 / 2, -1 / 2, 1 / 2], [1 / 2, 1 / 2, -1 / 2]];
const F_MAT: Mat3 = [[0, 1 / 2, 1 / 2], [1 / 2, 0, 1 / 2], [1 / 2, 1 / 2, 0]];

/** Hall numbers of the rhombohedral space groups (hexagonal and a=b=c settings). */
const RHOMBO_HALL_NUMBERS = new Set([433, 434, 436, 437, 444, 445, 450, 451, 452, 453, 458, 459, 460, 461]);
/** Hall numbers of the hexagonal-axes settings of the rhombohedral space groups. */
const RHOMBO_HEX_HALL_NUMBERS = new Set([433, 436, 444, 450, 452, 458, 460]);

/** An origin shift and the conventional lattice it belongs to. */
interface Match {
  originShift: Vec3;
  convLattice: Mat3;
}

/**
 * spglib `spa_search_spacegroup`: the space-group type of `primitive` (its symmetry found at
 * `symprec`/`angleTolerance`), restricted to `hallNumber` when that is nonzero; null on failure.
 */
export function spaSearchSpacegroup(
  primitive: Primitive,
  hallNumber: number,
  symprec: number,
  angleTolerance: number,
): Spacegroup | null {
  if (primitive.cell === null) return null;
  const symmetry = symGetOperation(primitive.cell, symprec, angleTolerance);
  if (symmetry === null) return null;
  const candidates = hallNumber ? [hallNumber] : SPACEGROUP_TO_HALL_NUMBER;
  return searchSpacegroupWithSymmetry(primitive, candidates, symmetry, symprec, angleTolerance);
}

/**
 * spglib `spa_search_spacegroup_with_symmetry`: the space-group type of the operations
 * `symmetry` given in the primitive basis `primLat` (columns); null on failure.
 */
export function spaSearchSpacegroupWithSymmetry(
  symmetry: Symmetry,
  primLat: Mat3,
  symprec: number,
): Spacegroup | null {
  const cell = celAllocCell(1);
  if (cell === null) return null;
  cell.lattice = matCopyMatrixD3(primLat);
  cell.position[0] = [0, 0, 0];
  // A one-atom primitive with no input lattice to resemble.
  const primitive: Primitive = {
    cell,
    mappingTable: [0],
    size: 1,
    tolerance: symprec,
    angleTolerance: -1.0,
    origLattice: [[0, 0, 0], [0, 0, 0], [0, 0, 0]],
  };
  return searchSpacegroupWithSymmetry(primitive, SPACEGROUP_TO_HALL_NUMBER, symmetry, symprec, -1.0);
}

/**
 * spglib `spa_transform_to_primitive`: the primitive cell of `cell` whose conventional basis
 * is `cell.lattice · transMat⁻¹` with `centering`, and for each atom of `cell` its index there;
 * null on failure.
 */
export function spaTransformToPrimitive(
  cell: Cell,
  transMat: Mat3,
  centering: Centering,
  symprec: number,
): { cell: Cell; mappingTable: number[] } | null {
  const tmatInv = matInverseMatrixD3(transMat, symprec);
  if (tmatInv === null) return null;
  let tmat: Mat3;
  switch (centering) {
    case Centering.PRIMITIVE:
      tmat = tmatInv;
      break;
    case Centering.A_FACE:
      tmat = matMultiplyMatrixD3(tmatInv, A_MAT);
      break;
    case Centering.C_FACE:
      tmat = matMultiplyMatrixD3(tmatInv, C_MAT);
      break;
    case Centering.FACE:
      tmat = matMultiplyMatrixD3(tmatInv, F_MAT);
      break;
    case Centering.BODY:
      tmat = matMultiplyMatrixD3(tmatInv, I_MAT);
      break;
    case Centering.R_CENTER:
      tmat = matMultiplyMatrixD3(tmatInv, R_MAT);
      break;
    default:
      return null;
  }
  const primLat = matMultiplyMatrixD3(cell.lattice, tmat);
  return celTrimCell(primLat, cell, symprec);
}

/**
 * spglib `spa_transform_from_primitive`: the conventional cell of the primitive cell
 * `primitive` with `centering` (atoms copied by the centring translations, then trimmed);
 * null on failure.
 */
export function spaTransformFromPrimitive(
  primitive: Cell,
  centering: Centering,
  symprec: number,
): Cell | null {
  let tmat: Mat3;
  switch (centering) {
    case Centering.PRIMITIVE:
      // spglib leaves the matrices unset here; no caller passes PRIMITIVE. Identity is the
      // only meaningful choice.
      tmat = IDENTITY;
      break;
    case Centering.A_FACE:
      tmat = A_MAT;
      break;
    case Centering.C_FACE:
      tmat = C_MAT;
      break;
    case Centering.FACE:
      tmat = F_MAT;
      break;
    case Centering.BODY:
      tmat = I_MAT;
      break;
    case Centering.R_CENTER:
      tmat = R_MAT;
      break;
    default:
      return null;
  }
  const invTmat = matInverseMatrixD3(tmat, 0) ?? IDENTITY;
  const { shift, multi } = getCenteringShifts(centering);

  const stdCell = celAllocCell(primitive.size * multi);
  if (stdCell === null) return null;
  stdCell.lattice = matMultiplyMatrixD3(primitive.lattice, invTmat);

  let numAtom = 0;
  for (let i = 0; i < primitive.size; i++) {
    stdCell.position[numAtom] = matMultiplyMatrixVectorD3(tmat, primitive.position[i]);
    stdCell.types[numAtom] = primitive.types[i];
    numAtom++;
  }
  for (let i = 0; i < multi - 1; i++) {
    for (let j = 0; j < primitive.size; j++) {
      const p = stdCell.position[j];
      stdCell.position[numAtom] = [p[0] + shift[i][0], p[1] + shift[i][1], p[2] + shift[i][2]];
      stdCell.types[numAtom] = stdCell.types[j];
      numAtom++;
    }
  }

  const trimmed = celTrimCell(stdCell.lattice, stdCell, symprec);
  return trimmed === null ? null : trimmed.cell;
}

/** spglib `spa_copy_spacegroup`: a deep copy of `src`. */
export function spaCopySpacegroup(src: Spacegroup): Spacegroup {
  return {
    ...src,
    bravaisLattice: matCopyMatrixD3(src.bravaisLattice),
    originShift: matCopyVectorD3(src.originShift),
  };
}

/** spglib `search_spacegroup_with_symmetry`. */
function searchSpacegroupWithSymmetry(
  primitive: Primitive,
  candidates: readonly number[],
  symmetry: Symmetry,
  symprec: number,
  angleTolerance: number,
): Spacegroup | null {
  const pointsym = ptgGetPointsymmetry(symmetry.rot, symmetry.size);
  if (pointsym.size < symmetry.size) return null; // point symmetry of the primitive cell is broken

  const found = iterativeSearchHallNumber(candidates, primitive, symmetry, symprec, angleTolerance);
  if (found === null) return null;
  return getSpacegroup(found.hallNumber, found.originShift, found.convLattice);
}

/** spglib `get_spacegroup`: the Spacegroup record of `hallNumber`. */
function getSpacegroup(hallNumber: number, originShift: Vec3, convLattice: Mat3): Spacegroup | null {
  if (!(0 < hallNumber && hallNumber < 531)) return null;
  const t = spgdbGetSpacegroupType(hallNumber);
  return {
    number: t.number,
    hallNumber,
    pointgroupNumber: t.pointgroupNumber,
    schoenflies: t.schoenflies,
    hallSymbol: t.hallSymbol,
    international: t.international,
    internationalLong: t.internationalFull,
    internationalShort: t.internationalShort,
    choice: t.choice,
    bravaisLattice: matCopyMatrixD3(convLattice),
    originShift: matCopyVectorD3(originShift),
  };
}

/**
 * spglib `iterative_search_hall_number`: search with the given operations, then retry with the
 * operations that survive ever smaller tolerances (the matching itself keeps `symprec`).
 */
function iterativeSearchHallNumber(
  candidates: readonly number[],
  primitive: Primitive,
  symmetry: Symmetry,
  symprec: number,
  angleTolerance: number,
): (Match & { hallNumber: number }) | null {
  const first = searchHallNumber(candidates, primitive, symmetry, symprec);
  if (first !== null) return first;

  let tolerance = symprec;
  for (let attempt = 0; attempt < NUM_ATTEMPT; attempt++) {
    tolerance *= REDUCE_RATE;
    const symReduced = symReduceOperation(primitive.cell as Cell, symmetry, tolerance, angleTolerance);
    if (symReduced === null) continue;
    const found = searchHallNumber(candidates, primitive, symReduced, symprec);
    if (found !== null) return found;
  }
  return null;
}

/** spglib `search_hall_number`: the first candidate Hall number whose symbol matches `symmetry`. */
function searchHallNumber(
  candidates: readonly number[],
  primitive: Primitive,
  symmetry: Symmetry,
  symprec: number,
): (Match & { hallNumber: number }) | null {
  const primLattice = (primitive.cell as Cell).lattice;

  // Conventional axes from the point group. For rhombohedral groups these are hP axes,
  // obverse or reverse.
  const { pointgroup, transformMat } = ptgGetTransformationMatrix(symmetry.rot, symmetry.size);
  if (pointgroup.number === 0) return null;
  let tmatInt: IMat3 = transformMat;

  // Triclinic and monoclinic: make the lattice smallest.
  if (pointgroup.laue === Laue.LAUE1 || pointgroup.laue === Laue.LAUE2M) {
    const convLatticeTmp = matMultiplyMatrixDi3(primLattice, tmatInt);
    const changed = pointgroup.laue === Laue.LAUE1
      ? changeBasisTricli(convLatticeTmp, primLattice, symprec)
      : changeBasisMonocli(convLatticeTmp, primLattice, symprec);
    if (changed === null) return null;
    tmatInt = changed;
  }

  // For rhombohedral groups the correction leads to the a=b=c basis (centering R_CENTER).
  const c = getCentering(tmatInt, pointgroup.laue);
  if (c.centering === Centering.CENTERING_ERROR) return null;

  const tmat = matMultiplyMatrixId3(tmatInt, c.correctionMat);
  const convLattice = matMultiplyMatrixD3(primLattice, tmat);

  const convSymmetry = getInitialConventionalSymmetry(c.centering, tmat, symmetry);

  for (const hallNumber of candidates) {
    const m = matchHallSymbolDb(
      convLattice,
      primitive.origLattice ?? null,
      hallNumber,
      pointgroup.number,
      pointgroup.holohedry,
      c.centering,
      convSymmetry,
      symprec,
    );
    if (m !== null) return { hallNumber, ...m };
  }
  return null;
}

/** spglib `change_basis_tricli`: the integer matrix from `primitiveLattice` to the Niggli cell of `convLattice`. */
function changeBasisTricli(convLattice: Mat3, primitiveLattice: Mat3, symprec: number): IMat3 | null {
  const niggli = niggliReduce(convLattice, symprec * symprec);
  if (niggli === null) return null;
  let smallest = niggli;
  if (matGetDeterminantD3(smallest) < 0) smallest = smallest.map((r) => r.map((x) => -x)) as Mat3;
  const invLattice = matInverseMatrixD3(primitiveLattice, 0) as Mat3;
  return matCastMatrix3dTo3i(matMultiplyMatrixD3(invLattice, smallest));
}

/** spglib `change_basis_monocli`: shortest non-unique axes (unique axis b) by 2D Delaunay reduction. */
function changeBasisMonocli(convLattice: Mat3, primitiveLattice: Mat3, symprec: number): IMat3 | null {
  const smallest = delDelaunayReduce2D(convLattice, 1, symprec);
  if (smallest === null) return null;
  const invLattice = matInverseMatrixD3(primitiveLattice, 0) as Mat3;
  return matCastMatrix3dTo3i(matMultiplyMatrixD3(invLattice, smallest));
}

/** spglib `get_initial_conventional_symmetry` (R_CENTER: the symmetry on the a=b=c basis). */
function getInitialConventionalSymmetry(centering: Centering, tmat: Mat3, symmetry: Symmetry): Symmetry {
  return getConventionalSymmetry(
    tmat,
    centering === Centering.R_CENTER ? Centering.PRIMITIVE : centering,
    symmetry,
  );
}

/** spglib `match_hall_symbol_db`: the origin shift and conventional lattice if `hallNumber` matches. */
function matchHallSymbolDb(
  convLattice: Mat3,
  origLattice: Mat3 | null,
  hallNumber: number,
  pointgroupNumber: number,
  holohedry: Holohedry,
  centering: Centering,
  symmetry: Symmetry,
  symprec: number,
): Match | null {
  const spacegroupType = spgdbGetSpacegroupType(hallNumber);
  if (pointgroupNumber !== spacegroupType.pointgroupNumber) return null;

  switch (holohedry) {
    case Holohedry.MONOCLI:
      return matchHallSymbolDbMonocli(
        convLattice,
        origLattice,
        hallNumber,
        spacegroupType.number,
        centering,
        symmetry,
        symprec,
      );

    case Holohedry.ORTHO: {
      const numFreeAxes = NUM_AXIS_CHOICES_ORTHO[spacegroupType.number - 16];
      if (numFreeAxes === 2) {
        // Two axes can be swapped: first find the principal axis with the type's first Hall
        // symbol (no length preference), then the setting of `hallNumber` from there.
        const principal = matchHallSymbolDbOrtho(
          convLattice,
          origLattice,
          SPACEGROUP_TO_HALL_NUMBER[spacegroupType.number - 1],
          centering,
          symmetry,
          0,
          symprec,
        );
        if (principal === null) return null;
        const invLattice = matInverseMatrixD3(convLattice, 0) as Mat3;
        const tmat = matMultiplyMatrixD3(invLattice, principal.convLattice);
        const changedSymmetry = getConventionalSymmetry(tmat, Centering.PRIMITIVE, symmetry);
        return matchHallSymbolDbOrtho(
          principal.convLattice,
          origLattice,
          hallNumber,
          centering,
          changedSymmetry,
          2,
          symprec,
        );
      }
      return matchHallSymbolDbOrtho(
        convLattice,
        origLattice,
        hallNumber,
        centering,
        symmetry,
        numFreeAxes,
        symprec,
      );
    }

    case Holohedry.CUBIC:
      return matchHallSymbolDbCubic(convLattice, origLattice, hallNumber, centering, symmetry, symprec);

    case Holohedry.TRIGO:
      if (centering === Centering.R_CENTER && RHOMBO_HALL_NUMBERS.has(hallNumber)) {
        // Rhombohedral: `symmetry` is on the a=b=c basis.
        return matchHallSymbolDbRhombo(convLattice, origLattice, hallNumber, symmetry, symprec);
      }
      // Other trigonal groups go on like hexagonal ones.
      return matchHallSymbolDbOthers(
        convLattice,
        origLattice,
        hallNumber,
        centering,
        holohedry,
        symmetry,
        symprec,
      );

    default: // HEXA, TETRA, TRICLI
      return matchHallSymbolDbOthers(
        convLattice,
        origLattice,
        hallNumber,
        centering,
        holohedry,
        symmetry,
        symprec,
      );
  }
}

/**
 * spglib `match_hall_symbol_db_monocli`: try all 36 monoclinic axis choices; among the matches
 * with the shortest non-unique axes (within symprec), prefer one resembling the input lattice,
 * else the first.
 */
function matchHallSymbolDbMonocli(
  convLattice: Mat3,
  origLattice: Mat3 | null,
  hallNumber: number,
  spaceGroupNumber: number,
  centering: Centering,
  convSymmetry: Symmetry,
  symprec: number,
): Match | null {
  // E. Parthé and L. M. Gelato (1983), "The best unit cell for monoclinic structures":
  // |a| < |c| for unique axis b (|a| < |b| for c, |b| < |c| for a: spglib's choice).
  const checkNorms = [3, 4, 6, 10, 11].includes(spaceGroupNumber);

  const n = CHANGE_OF_BASIS_MONOCLI.length;
  const found: (MonocliCandidate | null)[] = [];
  for (let i = 0; i < n; i++) {
    found.push(
      matchHallSymbolDbMonocliInLoop(
        convLattice,
        i,
        origLattice,
        checkNorms,
        hallNumber,
        centering,
        convSymmetry,
        symprec,
      ),
    );
  }

  const normSum = (f: MonocliCandidate) => Math.sqrt(f.normsSquared[0]) + Math.sqrt(f.normsSquared[1]);
  let shortestNormSum = -1;
  let any = false;
  for (const f of found) {
    if (f === null) continue;
    const s = normSum(f);
    if (!any || shortestNormSum > s) shortestNormSum = s;
    any = true;
  }
  if (!any) return null;

  // Prefer kind 2, i.e. similar to the input lattice.
  let best: MonocliCandidate | null = null;
  for (const f of found) {
    if (f === null) continue;
    if (matDabs(normSum(f) - shortestNormSum) < symprec) {
      if (f.kind === 2) {
        best = f;
        break;
      }
      if (best === null) best = f;
    }
  }
  // Unreachable when a match exists (the shortest one is within symprec of itself).
  if (best === null) return null;
  return { originShift: best.originShift, convLattice: best.convLattice };
}

/** One monoclinic axis choice that matched: kind 1, or 2 when it resembles the input lattice. */
interface MonocliCandidate extends Match {
  kind: 1 | 2;
  /** Squared lengths of the two non-unique axes. */
  normsSquared: [number, number];
}

/** spglib `match_hall_symbol_db_monocli_in_loop`: axis choice `i` of the monoclinic table. */
function matchHallSymbolDbMonocliInLoop(
  convLatticeIn: Mat3,
  i: number,
  origLattice: Mat3 | null,
  checkNorms: boolean,
  hallNumber: number,
  centering: Centering,
  convSymmetry: Symmetry,
  symprec: number,
): MonocliCandidate | null {
  // The centring is P or C.
  const changedCentering = centering === Centering.C_FACE ? CHANGE_OF_CENTERING_MONOCLI[i] : centering;

  let changeOfBasis = matCopyMatrixD3(CHANGE_OF_BASIS_MONOCLI[i]);
  let convLattice = matMultiplyMatrixD3(convLatticeIn, changeOfBasis);
  const uniqueAxis = CHANGE_OF_UNIQUE_AXIS_MONOCLI[i];

  // The two non-unique axes: non-acute angle between them, and length preference.
  const vec: Vec3[] = [];
  const normsSquared: [number, number] = [0, 0];
  for (let j = 0; j < 3; j++) {
    if (j === uniqueAxis) continue;
    const v: Vec3 = [convLattice[0][j], convLattice[1][j], convLattice[2][j]];
    normsSquared[vec.length] = matNormSquaredD3(v);
    vec.push(v);
  }
  if (vec[0][0] * vec[1][0] + vec[0][1] * vec[1][1] + vec[0][2] * vec[1][2] > ZERO_PREC) return null;
  if (checkNorms && normsSquared[0] > normsSquared[1] + ZERO_PREC) return null;

  // Flip axes to resemble the input lattice where possible (a C2 about the unique axis, so
  // the centring does not change).
  let kind: 1 | 2 = 1;
  if (origLattice !== null && matGetDeterminantD3(origLattice) > symprec) {
    const tmat = isEquivalentLattice(1, convLattice, origLattice, symprec);
    if (tmat !== null) {
      const u1 = (uniqueAxis + 1) % 3;
      const u2 = (uniqueAxis + 2) % 3;
      if (tmat[u1][u1] * tmat[u2][u2] > ZERO_PREC) {
        convLattice = matMultiplyMatrixD3(convLattice, tmat);
        changeOfBasis = matMultiplyMatrixD3(changeOfBasis, tmat);
        kind = 2;
      }
    }
  }

  const changedSymmetry = getConventionalSymmetry(changeOfBasis, Centering.PRIMITIVE, convSymmetry);
  const originShift = halMatchHallSymbolDb(
    convLattice,
    hallNumber,
    changedCentering,
    changedSymmetry,
    symprec,
  );
  if (originShift === null) return null;
  return { originShift, convLattice, kind, normsSquared };
}

/**
 * spglib `match_hall_symbol_db_ortho`: try the six orthorhombic axis choices, first only those
 * resembling the input lattice (up to axis flips), then all.
 */
function matchHallSymbolDbOrtho(
  convLattice: Mat3,
  origLattice: Mat3 | null,
  hallNumber: number,
  centering: Centering,
  convSymmetry: Symmetry,
  numFreeAxes: number,
  symprec: number,
): Match | null {
  if (origLattice !== null && matGetDeterminantD3(origLattice) > symprec) {
    for (let i = 0; i < 6; i++) {
      const m = matchHallSymbolDbOrthoInLoop(
        convLattice,
        origLattice,
        i,
        hallNumber,
        centering,
        convSymmetry,
        numFreeAxes,
        symprec,
      );
      if (m !== null) return m;
    }
  }
  for (let i = 0; i < 6; i++) {
    const m = matchHallSymbolDbOrthoInLoop(
      convLattice,
      null,
      i,
      hallNumber,
      centering,
      convSymmetry,
      numFreeAxes,
      symprec,
    );
    if (m !== null) return m;
  }
  return null;
}

/** Squared lengths of the three columns of `lattice`. */
function columnNormsSquared(lattice: Mat3): number[] {
  return [0, 1, 2].map((j) => matNormSquaredD3([lattice[0][j], lattice[1][j], lattice[2][j]]));
}

/** spglib `match_hall_symbol_db_ortho_in_loop`: orthorhombic axis choice `i`. */
function matchHallSymbolDbOrthoInLoop(
  convLattice: Mat3,
  origLattice: Mat3 | null,
  i: number,
  hallNumber: number,
  centering: Centering,
  symmetry: Symmetry,
  numFreeAxes: number,
  symprec: number,
): Match | null {
  const changedCentering = centering === Centering.C_FACE ? CHANGE_OF_CENTERING_ORTHO[i] : centering;

  let changeOfBasis = matCopyMatrixD3(CHANGE_OF_BASIS_ORTHO[i]);
  let changedLattice = matMultiplyMatrixD3(convLattice, changeOfBasis);

  // With an input lattice, only choices equal to it up to axis flips (flips keep the centring).
  if (origLattice !== null) {
    const tmat = isEquivalentLattice(1, changedLattice, origLattice, symprec);
    if (tmat === null) return null;
    changedLattice = matMultiplyMatrixD3(changedLattice, tmat);
    changeOfBasis = matMultiplyMatrixD3(changeOfBasis, tmat);
  }

  const norms = columnNormsSquared(changedLattice);
  if (numFreeAxes === 2) {
    // Choices {abc, ba-c}, {cab, -cba}, {bca, a-cb} give the same group: shorter axis first.
    const u = CHANGE_OF_UNIQUE_AXIS_ORTHO[i];
    const free = [0, 1, 2].filter((j) => j !== u).map((j) => norms[j]);
    if (free[0] > free[1] + ZERO_PREC) return null;
  }
  if (numFreeAxes === 3) {
    if (norms[0] > norms[1] + ZERO_PREC || norms[0] > norms[2] + ZERO_PREC) return null;
  }
  if (numFreeAxes === 6) {
    if (norms[0] > norms[1] + ZERO_PREC || norms[1] > norms[2] + ZERO_PREC) return null;
  }

  const changedSymmetry = getConventionalSymmetry(changeOfBasis, Centering.PRIMITIVE, symmetry);
  const originShift = halMatchHallSymbolDb(
    changedLattice,
    hallNumber,
    changedCentering,
    changedSymmetry,
    symprec,
  );
  if (originShift === null) return null;
  return { originShift, convLattice: changedLattice };
}

/**
 * spglib `match_hall_symbol_db_cubic`: the six axis permutations (which include the special
 * setting of No. 205), first those resembling the input lattice, then all.
 */
function matchHallSymbolDbCubic(
  convLattice: Mat3,
  origLattice: Mat3 | null,
  hallNumber: number,
  centering: Centering,
  convSymmetry: Symmetry,
  symprec: number,
): Match | null {
  if (origLattice !== null && matGetDeterminantD3(origLattice) > symprec) {
    for (let i = 0; i < 6; i++) {
      const m = matchHallSymbolDbCubicInLoop(
        convLattice,
        origLattice,
        i,
        hallNumber,
        centering,
        convSymmetry,
        symprec,
      );
      if (m !== null) return m;
    }
  }
  for (let i = 0; i < 6; i++) {
    const m = matchHallSymbolDbCubicInLoop(
      convLattice,
      null,
      i,
      hallNumber,
      centering,
      convSymmetry,
      symprec,
    );
    if (m !== null) return m;
  }
  return null;
}

/** spglib `match_hall_symbol_db_cubic_in_loop`: cubic axis permutation `i`. */
function matchHallSymbolDbCubicInLoop(
  convLattice: Mat3,
  origLattice: Mat3 | null,
  i: number,
  hallNumber: number,
  centering: Centering,
  convSymmetry: Symmetry,
  symprec: number,
): Match | null {
  let changeOfBasis = matCopyMatrixD3(CHANGE_OF_BASIS_ORTHO[i]);
  let changedLattice = matMultiplyMatrixD3(convLattice, changeOfBasis);

  if (origLattice !== null) {
    const tmat = isEquivalentLattice(1, changedLattice, origLattice, symprec);
    if (tmat === null) return null;
    changedLattice = matMultiplyMatrixD3(changedLattice, tmat);
    changeOfBasis = matMultiplyMatrixD3(changeOfBasis, tmat);
  }

  const changedSymmetry = getConventionalSymmetry(changeOfBasis, Centering.PRIMITIVE, convSymmetry);
  const originShift = halMatchHallSymbolDb(changedLattice, hallNumber, centering, changedSymmetry, symprec);
  if (originShift === null) return null;
  return { originShift, convLattice: changedLattice };
}

/**
 * spglib `match_hall_symbol_db_rhombo`: hexagonal-axes settings are matched on hP axes
 * (R_CENTER), the a=b=c settings on the rhombohedral basis.
 */
function matchHallSymbolDbRhombo(
  convLattice: Mat3,
  origLattice: Mat3 | null,
  hallNumber: number,
  convSymmetry: Symmetry,
  symprec: number,
): Match | null {
  if (RHOMBO_HEX_HALL_NUMBERS.has(hallNumber)) {
    return matchHallSymbolDbChangeOfBasisLoop(
      convLattice,
      origLattice,
      CHANGE_OF_BASIS_RHOMBO_HEX,
      hallNumber,
      Centering.R_CENTER,
      convSymmetry,
      symprec,
    );
  }
  return matchHallSymbolDbChangeOfBasisLoop(
    convLattice,
    origLattice,
    CHANGE_OF_BASIS_RHOMBO,
    hallNumber,
    Centering.PRIMITIVE,
    convSymmetry,
    symprec,
  );
}

/**
 * spglib `match_hall_symbol_db_others`: triclinic as is; tetragonal over the fourfold
 * rotations, hexagonal and (non-rhombohedral) trigonal over the sixfold ones.
 */
function matchHallSymbolDbOthers(
  convLattice: Mat3,
  origLattice: Mat3 | null,
  hallNumber: number,
  centering: Centering,
  holohedry: Holohedry,
  convSymmetry: Symmetry,
  symprec: number,
): Match | null {
  if (holohedry === Holohedry.TRICLI) {
    const originShift = halMatchHallSymbolDb(convLattice, hallNumber, centering, convSymmetry, symprec);
    return originShift === null ? null : { originShift, convLattice: matCopyMatrixD3(convLattice) };
  }
  const table = holohedry === Holohedry.TETRA ? CHANGE_OF_BASIS_C4 : CHANGE_OF_BASIS_C6;
  return matchHallSymbolDbChangeOfBasisLoop(
    convLattice,
    origLattice,
    table,
    hallNumber,
    centering,
    convSymmetry,
    symprec,
  );
}

/**
 * spglib `match_hall_symbol_db_change_of_basis_loop`: try each change of basis, first only
 * those that give back the input lattice exactly, then all.
 */
function matchHallSymbolDbChangeOfBasisLoop(
  convLattice: Mat3,
  origLattice: Mat3 | null,
  changeOfBasis: readonly Mat3[],
  hallNumber: number,
  centering: Centering,
  convSymmetry: Symmetry,
  symprec: number,
): Match | null {
  const centeringForSymmetry = centering === Centering.R_CENTER ? Centering.R_CENTER : Centering.PRIMITIVE;

  if (origLattice !== null && matGetDeterminantD3(origLattice) > symprec) {
    for (const cob of changeOfBasis) {
      const changedSymmetry = getConventionalSymmetry(cob, centeringForSymmetry, convSymmetry);
      const changedLattice = matMultiplyMatrixD3(convLattice, cob);
      if (isEquivalentLattice(0, changedLattice, origLattice, symprec) === null) continue;
      // R_CENTER here means the hP (hexagonal axes) setting.
      const originShift = halMatchHallSymbolDb(
        changedLattice,
        hallNumber,
        centering,
        changedSymmetry,
        symprec,
      );
      if (originShift !== null) return { originShift, convLattice: changedLattice };
    }
  }

  for (const cob of changeOfBasis) {
    const changedSymmetry = getConventionalSymmetry(cob, centeringForSymmetry, convSymmetry);
    const changedLattice = matMultiplyMatrixD3(convLattice, cob);
    const originShift = halMatchHallSymbolDb(changedLattice, hallNumber, centering, changedSymmetry, symprec);
    if (originShift !== null) return { originShift, convLattice: changedLattice };
  }
  return null;
}

/**
 * spglib `get_conventional_symmetry`: the operations of `primitiveSym` in the basis changed
 * by `tmat` (rotations tmat⁻¹·R·tmat, translations tmat⁻¹·t), completed by the centring
 * translations of `centering` (translations not reduced modulo 1, as in spglib 2.0.2).
 */
function getConventionalSymmetry(tmat: Mat3, centering: Centering, primitiveSym: Symmetry): Symmetry {
  const size = primitiveSym.size;
  const rot: IMat3[] = [];
  const trans: Vec3[] = [];
  const invTmat = matInverseMatrixD3(tmat, 0) as Mat3;
  for (let i = 0; i < size; i++) {
    const r = matCastMatrix3iTo3d(primitiveSym.rot[i]);
    const similar = matGetSimilarMatrixD3(r, tmat, 0) as Mat3;
    rot.push(matCastMatrix3dTo3i(similar));
    trans.push(matMultiplyMatrixVectorD3(invTmat, primitiveSym.trans[i]));
  }

  let multi = 1;
  if (centering !== Centering.PRIMITIVE) {
    const s = getCenteringShifts(centering);
    multi = s.multi;
    for (let i = 0; i < multi - 1; i++) {
      for (let j = 0; j < size; j++) {
        rot.push(matCopyMatrixI3(rot[j]));
        trans.push(vec3((k) => trans[j][k] + s.shift[i][k]));
      }
    }
  }

  // spglib 2.0.2 leaves these translations unreduced (no mat_Dmod1): reducing them here changes
  // the last bits of the origin shift found from them.
  return { size: multi * size, rot, trans };
}

/**
 * spglib `get_centering`: the centring of the conventional cell reached by `tmat` (from its
 * determinant), with the correction to C-face, or to the a=b=c basis for rhombohedral lattices.
 */
function getCentering(tmat: IMat3, laue: Laue): { centering: Centering; correctionMat: Mat3 } {
  let correctionMat = matCopyMatrixD3(IDENTITY);
  let centering: Centering;
  const det = Math.abs(matGetDeterminantI3(tmat));

  switch (det) {
    case 1:
      centering = Centering.PRIMITIVE;
      break;

    case 2:
      centering = getBaseCenter(tmat);
      if (centering === Centering.A_FACE) {
        correctionMat = matCopyMatrixD3(laue === Laue.LAUE2M ? MONOCLI_A2C : A2C);
        centering = Centering.C_FACE;
      }
      if (centering === Centering.B_FACE) {
        correctionMat = matCopyMatrixD3(B2C);
        centering = Centering.C_FACE;
      }
      if (laue === Laue.LAUE2M && centering === Centering.BODY) {
        correctionMat = matCopyMatrixD3(MONOCLI_I2C);
        centering = Centering.C_FACE;
      }
      break;

    case 3:
      // hP (a=b) axes of a rhombohedral lattice: obverse or reverse.
      centering = Centering.R_CENTER;
      if (matIsIntMatrix(matMultiplyMatrixId3(tmat, RHOMBO_OBVERSE), INT_PREC)) {
        correctionMat = matCopyMatrixD3(RHOMBO_OBVERSE);
      }
      if (matIsIntMatrix(matMultiplyMatrixId3(tmat, RHOMB_REVERSE), INT_PREC)) {
        correctionMat = matCopyMatrixD3(RHOMB_REVERSE);
      }
      break;

    case 4:
      centering = Centering.FACE;
      break;

    default:
      centering = Centering.CENTERING_ERROR;
      break;
  }
  return { centering, correctionMat };
}

/** spglib `get_base_center`: which face (or body) a determinant-2 transformation centres. */
function getBaseCenter(tmat: IMat3): Centering {
  for (let i = 0; i < 3; i++) {
    if (tmat[i][0] === 0 && tmat[i][1] === 0 && Math.abs(tmat[i][2]) === 1) return Centering.C_FACE;
  }
  for (let i = 0; i < 3; i++) {
    if (Math.abs(tmat[i][0]) === 1 && tmat[i][1] === 0 && tmat[i][2] === 0) return Centering.A_FACE;
  }
  for (let i = 0; i < 3; i++) {
    if (tmat[i][0] === 0 && Math.abs(tmat[i][1]) === 1 && tmat[i][2] === 0) return Centering.B_FACE;
  }
  const rowSum = (r: number[]) => Math.abs(r[0]) + Math.abs(r[1]) + Math.abs(r[2]);
  if (rowSum(tmat[0]) === 2 && rowSum(tmat[1]) === 2 && rowSum(tmat[2]) === 2) return Centering.BODY;
  // Should not happen.
  return Centering.PRIMITIVE;
}

/** spglib `get_centering_shifts`: the non-zero centring translations and the multiplicity. */
function getCenteringShifts(centering: Centering): { shift: Mat3; multi: number } {
  const shift: Mat3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  let multi = 1;
  if (centering !== Centering.PRIMITIVE) {
    if (centering !== Centering.FACE && centering !== Centering.R_CENTER) {
      shift[0] = [0.5, 0.5, 0.5]; // BODY
      if (centering === Centering.A_FACE) shift[0][0] = 0;
      if (centering === Centering.B_FACE) shift[0][1] = 0;
      if (centering === Centering.C_FACE) shift[0][2] = 0;
      multi = 2;
    }
    if (centering === Centering.R_CENTER) {
      shift[0] = [2 / 3, 1 / 3, 1 / 3];
      shift[1] = [1 / 3, 2 / 3, 2 / 3];
      multi = 3;
    }
    if (centering === Centering.FACE) {
      shift[0] = [0, 0.5, 0.5];
      shift[1] = [0.5, 0, 0.5];
      shift[2] = [0.5, 0.5, 0];
      multi = 4;
    }
  }
  return { shift, multi };
}

/**
 * spglib `is_equivalent_lattice`: the transformation `tmat` with `origLattice = lattice·tmat`
 * when the two are equivalent, else null. Mode 0: tmat is the identity; mode 1: |tmat| is the
 * identity (axis flips allowed); mode 2: tmat is integral with det 1 and the metrics agree.
 */
function isEquivalentLattice(
  mode: 0 | 1 | 2,
  lattice: Mat3,
  origLattice: Mat3,
  symprec: number,
): Mat3 | null {
  if (matDabs(matGetDeterminantD3(lattice) - matGetDeterminantD3(origLattice)) > symprec) return null;
  const invLat = matInverseMatrixD3(lattice, symprec);
  if (invLat === null) return null;
  const tmat = matMultiplyMatrixD3(invLat, origLattice);

  switch (mode) {
    case 0:
      return matCheckIdentityMatrixD3(IDENTITY, tmat, symprec) ? tmat : null;
    case 1: {
      const tmatAbs = tmat.map((r) => r.map(matDabs)) as Mat3;
      return matCheckIdentityMatrixD3(IDENTITY, tmatAbs, symprec) ? tmat : null;
    }
    case 2: {
      const tmatInt = matCastMatrix3dTo3i(tmat);
      if (!matCheckIdentityMatrixId3(tmatInt, tmat, symprec)) return null;
      if (matGetDeterminantI3(tmatInt) !== 1) return null;
      const ok = matCheckIdentityMatrixD3(matGetMetric(origLattice), matGetMetric(lattice), symprec);
      return ok ? tmat : null;
    }
  }
  return null;
}
