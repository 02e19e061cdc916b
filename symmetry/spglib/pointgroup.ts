/**
 * Crystallographic point groups and the conventional axes they imply: spglib 2.0.2's
 * `pointgroup.c` (spglib by Atsushi Togo, BSD-3-Clause; see ./README.md) in TypeScript.
 *
 * A point group is recognized by counting its rotations by type (trace and determinant);
 * its conventional axes are picked from a fixed list of 73 candidate lattice directions
 * (`ROT_AXES`), in spglib's search order, and returned as the columns of a right-handed
 * (or, for Laue class 2/m, possibly left-handed, as spglib 2.0.2 leaves it) integer matrix.
 * Bulk crystals only: spglib's layer-group branches (`aperiodic_axis` ≠ -1) are not ported.
 *
 * @module
 */
import type { IMat3, PointSymmetry } from "./types.ts";
import {
  matAddMatrixI3,
  matCheckIdentityMatrixI3,
  matCopyMatrixI3,
  matGetDeterminantI3,
  matGetTraceI3,
  matMultiplyMatrixI3,
  matMultiplyMatrixVectorI3,
  matNormSquaredI3,
} from "./mathfunc.ts";

/** spglib `Holohedry` enum (pointgroup.h). */
export const Holohedry = {
  HOLOHEDRY_NONE: 0,
  TRICLI: 1,
  MONOCLI: 2,
  ORTHO: 3,
  TETRA: 4,
  TRIGO: 5,
  HEXA: 6,
  CUBIC: 7,
} as const;
/** spglib `Holohedry` value. */
export type Holohedry = number;

/** spglib `Laue` enum (pointgroup.h). */
export const Laue = {
  LAUE_NONE: 0,
  LAUE1: 1,
  LAUE2M: 2,
  LAUEMMM: 3,
  LAUE4M: 4,
  LAUE4MMM: 5,
  LAUE3: 6,
  LAUE3M: 7,
  LAUE6M: 8,
  LAUE6MMM: 9,
  LAUEM3: 10,
  LAUEM3M: 11,
} as const;
/** spglib `Laue` value. */
export type Laue = number;

/** spglib `Pointgroup`: one of the 32 crystallographic point groups (number 0: none). */
export interface Pointgroup {
  /** 1–32, or 0 when no point group was recognized. */
  number: number;
  /** International (Hermann–Mauguin) symbol, e.g. `m-3m` ("" for number 0). */
  symbol: string;
  /** Schoenflies symbol, e.g. `Oh` ("" for number 0). */
  schoenflies: string;
  holohedry: Holohedry;
  laue: Laue;
}

/** What {@link ptgGetTransformationMatrix} finds. */
export interface PointgroupTransformation {
  /** The point group (number 0 when none was recognized). */
  pointgroup: Pointgroup;
  /** Columns are the conventional axes in the input basis (all zero on failure). */
  transformMat: IMat3;
}

/** Number of candidate rotation axes (`NUM_ROT_AXES`). */
const NUM_ROT_AXES = 73;

/** spglib's `ZERO_PREC`, used in its (integer) comparisons. */
const ZERO_PREC = 1e-10;

const H = Holohedry;
const L = Laue;

/**
 * The 33 rows of spglib's `pointgroup_data` (row 0 is "no point group"): counts of rotation
 * types in the order -6, -4, -3, -2, -1, 1, 2, 3, 4, 6; symbol; Schoenflies; holohedry; Laue.
 */
const POINTGROUP_DATA: readonly [readonly number[], string, string, Holohedry, Laue][] = [
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "", "", H.HOLOHEDRY_NONE, L.LAUE_NONE],
  [[0, 0, 0, 0, 0, 1, 0, 0, 0, 0], "1", "C1", H.TRICLI, L.LAUE1],
  [[0, 0, 0, 0, 1, 1, 0, 0, 0, 0], "-1", "Ci", H.TRICLI, L.LAUE1],
  [[0, 0, 0, 0, 0, 1, 1, 0, 0, 0], "2", "C2", H.MONOCLI, L.LAUE2M],
  [[0, 0, 0, 1, 0, 1, 0, 0, 0, 0], "m", "Cs", H.MONOCLI, L.LAUE2M],
  [[0, 0, 0, 1, 1, 1, 1, 0, 0, 0], "2/m", "C2h", H.MONOCLI, L.LAUE2M],
  [[0, 0, 0, 0, 0, 1, 3, 0, 0, 0], "222", "D2", H.ORTHO, L.LAUEMMM],
  [[0, 0, 0, 2, 0, 1, 1, 0, 0, 0], "mm2", "C2v", H.ORTHO, L.LAUEMMM],
  [[0, 0, 0, 3, 1, 1, 3, 0, 0, 0], "mmm", "D2h", H.ORTHO, L.LAUEMMM],
  [[0, 0, 0, 0, 0, 1, 1, 0, 2, 0], "4", "C4", H.TETRA, L.LAUE4M],
  [[0, 2, 0, 0, 0, 1, 1, 0, 0, 0], "-4", "S4", H.TETRA, L.LAUE4M],
  [[0, 2, 0, 1, 1, 1, 1, 0, 2, 0], "4/m", "C4h", H.TETRA, L.LAUE4M],
  [[0, 0, 0, 0, 0, 1, 5, 0, 2, 0], "422", "D4", H.TETRA, L.LAUE4MMM],
  [[0, 0, 0, 4, 0, 1, 1, 0, 2, 0], "4mm", "C4v", H.TETRA, L.LAUE4MMM],
  [[0, 2, 0, 2, 0, 1, 3, 0, 0, 0], "-42m", "D2d", H.TETRA, L.LAUE4MMM],
  [[0, 2, 0, 5, 1, 1, 5, 0, 2, 0], "4/mmm", "D4h", H.TETRA, L.LAUE4MMM],
  [[0, 0, 0, 0, 0, 1, 0, 2, 0, 0], "3", "C3", H.TRIGO, L.LAUE3],
  [[0, 0, 2, 0, 1, 1, 0, 2, 0, 0], "-3", "C3i", H.TRIGO, L.LAUE3],
  [[0, 0, 0, 0, 0, 1, 3, 2, 0, 0], "32", "D3", H.TRIGO, L.LAUE3M],
  [[0, 0, 0, 3, 0, 1, 0, 2, 0, 0], "3m", "C3v", H.TRIGO, L.LAUE3M],
  [[0, 0, 2, 3, 1, 1, 3, 2, 0, 0], "-3m", "D3d", H.TRIGO, L.LAUE3M],
  [[0, 0, 0, 0, 0, 1, 1, 2, 0, 2], "6", "C6", H.HEXA, L.LAUE6M],
  [[2, 0, 0, 1, 0, 1, 0, 2, 0, 0], "-6", "C3h", H.HEXA, L.LAUE6M],
  [[2, 0, 2, 1, 1, 1, 1, 2, 0, 2], "6/m", "C6h", H.HEXA, L.LAUE6M],
  [[0, 0, 0, 0, 0, 1, 7, 2, 0, 2], "622", "D6", H.HEXA, L.LAUE6MMM],
  [[0, 0, 0, 6, 0, 1, 1, 2, 0, 2], "6mm", "C6v", H.HEXA, L.LAUE6MMM],
  [[2, 0, 0, 4, 0, 1, 3, 2, 0, 0], "-6m2", "D3h", H.HEXA, L.LAUE6MMM],
  [[2, 0, 2, 7, 1, 1, 7, 2, 0, 2], "6/mmm", "D6h", H.HEXA, L.LAUE6MMM],
  [[0, 0, 0, 0, 0, 1, 3, 8, 0, 0], "23", "T", H.CUBIC, L.LAUEM3],
  [[0, 0, 8, 3, 1, 1, 3, 8, 0, 0], "m-3", "Th", H.CUBIC, L.LAUEM3],
  [[0, 0, 0, 0, 0, 1, 9, 8, 6, 0], "432", "O", H.CUBIC, L.LAUEM3M],
  [[0, 6, 0, 6, 0, 1, 3, 8, 0, 0], "-43m", "Td", H.CUBIC, L.LAUEM3M],
  [[0, 6, 8, 9, 1, 1, 9, 8, 6, 0], "m-3m", "Oh", H.CUBIC, L.LAUEM3M],
];

const IDENTITY: IMat3 = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
const INVERSION: IMat3 = [[-1, 0, 0], [0, -1, 0], [0, 0, -1]];

/** spglib's `rot_axes`: the 73 candidate rotation axes, in its search order. */
export const ROT_AXES: readonly (readonly number[])[] = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
  [0, 1, 1],
  [1, 0, 1],
  [1, 1, 0],
  [0, 1, -1],
  [-1, 0, 1],
  [1, -1, 0],
  [1, 1, 1], // 10
  [-1, 1, 1],
  [1, -1, 1],
  [1, 1, -1],
  [0, 1, 2],
  [2, 0, 1],
  [1, 2, 0],
  [0, 2, 1],
  [1, 0, 2],
  [2, 1, 0],
  [0, -1, 2], // 20
  [2, 0, -1],
  [-1, 2, 0],
  [0, -2, 1],
  [1, 0, -2],
  [-2, 1, 0],
  [2, 1, 1],
  [1, 2, 1],
  [1, 1, 2],
  [2, -1, -1],
  [-1, 2, -1], // 30
  [-1, -1, 2],
  [2, 1, -1],
  [-1, 2, 1],
  [1, -1, 2],
  [2, -1, 1], // 35
  [1, 2, -1],
  [-1, 1, 2],
  [3, 1, 2],
  [2, 3, 1],
  [1, 2, 3], // 40
  [3, 2, 1],
  [1, 3, 2],
  [2, 1, 3],
  [3, -1, 2],
  [2, 3, -1], // 45
  [-1, 2, 3],
  [3, -2, 1],
  [1, 3, -2],
  [-2, 1, 3],
  [3, -1, -2], // 50
  [-2, 3, -1],
  [-1, -2, 3],
  [3, -2, -1],
  [-1, 3, -2],
  [-2, -1, 3], // 55
  [3, 1, -2],
  [-2, 3, 1],
  [1, -2, 3],
  [3, 2, -1],
  [-1, 3, 2], // 60
  [2, -1, 3],
  [1, 1, 3],
  [-1, 1, 3],
  [1, -1, 3],
  [-1, -1, 3], // 65
  [1, 3, 1],
  [-1, 3, 1],
  [1, 3, -1],
  [-1, 3, -1],
  [3, 1, 1], // 70
  [3, 1, -1],
  [3, -1, 1],
  [3, -1, -1],
];

/** spglib `ptg_get_transformation_matrix`: the point group of `rotations` and its conventional axes. */
export function ptgGetTransformationMatrix(
  rotations: IMat3[],
  numRotations: number,
): PointgroupTransformation {
  let transformMat: IMat3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  const pgNum = getPointgroupNumberByRotations(rotations, numRotations);
  let pointgroup: Pointgroup;
  if (pgNum > 0) {
    pointgroup = ptgGetPointgroup(pgNum);
    const pointsym = ptgGetPointsymmetry(rotations, numRotations);
    const axes = getAxes(pointgroup.laue, pointsym);
    transformMat = setTransformationMatrix(axes);
  } else {
    // spglib only sets `number = 0` here; the other fields are left as for "no point group".
    pointgroup = ptgGetPointgroup(0);
  }
  return { pointgroup, transformMat };
}

/** spglib `ptg_get_pointgroup`: the table entry of point group `pointgroupNumber` (0–32). */
export function ptgGetPointgroup(pointgroupNumber: number): Pointgroup {
  const [, symbol, schoenflies, holohedry, laue] = POINTGROUP_DATA[pointgroupNumber];
  return { number: pointgroupNumber, symbol, schoenflies, holohedry, laue };
}

/** spglib `ptg_get_pointsymmetry`: the distinct rotations among the first `numRotations`, in first-seen order. */
export function ptgGetPointsymmetry(rotations: IMat3[], numRotations: number): PointSymmetry {
  const rot: IMat3[] = [];
  for (let i = 0; i < numRotations; i++) {
    if (rot.some((r) => matCheckIdentityMatrixI3(rotations[i], r))) continue;
    rot.push(matCopyMatrixI3(rotations[i]));
  }
  return { size: rot.length, rot };
}

/** spglib `get_pointgroup_number_by_rotations`. */
function getPointgroupNumberByRotations(rotations: IMat3[], numRotations: number): number {
  return getPointgroupNumber(ptgGetPointsymmetry(rotations, numRotations));
}

/** spglib `get_pointgroup_number`: the first table row whose rotation-type counts match (0: none). */
function getPointgroupNumber(pointsym: PointSymmetry): number {
  const table = getPointgroupClassTable(pointsym);
  if (table === null) return 0;
  for (let i = 1; i < 33; i++) {
    const ref = POINTGROUP_DATA[i][0];
    let counter = 0;
    for (let j = 0; j < 10; j++) if (ref[j] === table[j]) counter++;
    if (counter === 10) return i;
  }
  return 0;
}

/** spglib `get_pointgroup_class_table`: counts of rotations per type, or null for a non-crystallographic one. */
function getPointgroupClassTable(pointsym: PointSymmetry): number[] | null {
  const table = new Array<number>(10).fill(0);
  for (let i = 0; i < pointsym.size; i++) {
    const rotType = getRotationType(pointsym.rot[i]);
    if (rotType === -1) return null;
    table[rotType]++;
  }
  return table;
}

/** spglib `get_rotation_type`: index into the class table from (determinant, trace), or -1. */
function getRotationType(rot: IMat3): number {
  const trace = matGetTraceI3(rot);
  if (matGetDeterminantI3(rot) === -1) {
    switch (trace) {
      case -2: // -6
        return 0;
      case -1: // -4
        return 1;
      case 0: // -3
        return 2;
      case 1: // -2
        return 3;
      case -3: // -1
        return 4;
      default:
        return -1;
    }
  }
  switch (trace) {
    case 3: // 1
      return 5;
    case -1: // 2
      return 6;
    case 0: // 3
      return 7;
    case 1: // 4
      return 8;
    case 2: // 6
      return 9;
    default:
      return -1;
  }
}

/**
 * spglib `get_axes` (bulk: `aperiodic_axis` = -1). Indices ≥ 73 stand for the reversed axis
 * `index - 73`. Where spglib's search fails its axes are left undefined; here the entries it
 * did not set stay at their initial values.
 */
function getAxes(laue: Laue, pointsym: PointSymmetry): number[] {
  const axes = [0, 1, 2];
  switch (laue) {
    case Laue.LAUE1:
      axes[0] = 0;
      axes[1] = 1;
      axes[2] = 2;
      break;
    case Laue.LAUE2M:
      laue2m(axes, pointsym);
      break;
    case Laue.LAUEMMM:
      lauennn(axes, pointsym, 2);
      break;
    case Laue.LAUE4M:
    case Laue.LAUE4MMM:
      laueOneAxis(axes, pointsym, 4);
      break;
    case Laue.LAUE3:
    case Laue.LAUE3M:
    case Laue.LAUE6M:
    case Laue.LAUE6MMM:
      laueOneAxis(axes, pointsym, 3);
      break;
    case Laue.LAUEM3:
      lauennn(axes, pointsym, 2);
      break;
    case Laue.LAUEM3M:
      lauennn(axes, pointsym, 4);
      break;
    default:
      break;
  }
  return axes;
}

/**
 * spglib `laue2m`: the two-fold axis becomes b; a and c are the two shortest candidate axes
 * perpendicular to it (first found wins ties). spglib 2.0.2 does not fix the handedness here.
 */
function laue2m(axes: number[], pointsym: PointSymmetry): boolean {
  let propRot: IMat3 = IDENTITY;
  for (let i = 0; i < pointsym.size; i++) {
    propRot = getProperRotation(pointsym.rot[i]);
    // Search two-fold rotation.
    if (matGetTraceI3(propRot) !== -1) continue;
    axes[1] = getRotationAxis(propRot);
    break;
  }

  const orthoAxes = getOrthogonalAxis(propRot, 2);
  if (orthoAxes.length === 0) return false;

  let minNorm = 8;
  let isFound = false;
  for (const a of orthoAxes) {
    const norm = matNormSquaredI3(ROT_AXES[a] as number[]);
    if (norm < minNorm - ZERO_PREC) {
      minNorm = norm;
      axes[0] = a;
      isFound = true;
    }
  }
  if (!isFound) return false;

  minNorm = 8;
  isFound = false;
  for (const a of orthoAxes) {
    const norm = matNormSquaredI3(ROT_AXES[a] as number[]);
    if (norm < minNorm - ZERO_PREC && a !== axes[0]) {
      minNorm = norm;
      axes[2] = a;
      isFound = true;
    }
  }
  return isFound;
}

/**
 * spglib `laue_one_axis`: the 4- or 3-fold axis becomes c; a is the first perpendicular
 * candidate whose image under the rotation is also a candidate, with |det| < 4 (no F-centred
 * choice); b is that image; a and b are swapped when the result is left-handed.
 */
function laueOneAxis(axes: number[], pointsym: PointSymmetry, rotOrder: number): boolean {
  let propRot: IMat3 = IDENTITY;
  for (let i = 0; i < pointsym.size; i++) {
    propRot = getProperRotation(pointsym.rot[i]);
    // Search four-fold rotation.
    if (rotOrder === 4 && matGetTraceI3(propRot) === 1) {
      axes[2] = getRotationAxis(propRot);
      break;
    }
    // Search three-fold rotation.
    if (rotOrder === 3 && matGetTraceI3(propRot) === 0) {
      axes[2] = getRotationAxis(propRot);
      break;
    }
  }

  // Candidates of the second axis.
  const orthoAxes = getOrthogonalAxis(propRot, rotOrder);
  if (orthoAxes.length === 0) return false;

  const tmpAxes = [orthoAxes[0], -1, axes[2]];
  let found = false;
  for (const candidate of orthoAxes) {
    let isFound = 0;
    tmpAxes[0] = candidate;
    const axisVec = matMultiplyMatrixVectorI3(propRot, ROT_AXES[candidate] as number[]);
    for (const other of orthoAxes) {
      isFound = isExistAxis(axisVec, other);
      if (isFound === 1) {
        tmpAxes[1] = other;
        break;
      }
      if (isFound === -1) {
        tmpAxes[1] = other + NUM_ROT_AXES;
        break;
      }
    }
    if (!isFound) continue;

    const det = Math.abs(matGetDeterminantI3(setTransformationMatrix(tmpAxes)));
    if (det < 4) { // det = 4 would be an F-centred choice
      axes[0] = tmpAxes[0];
      axes[1] = tmpAxes[1];
      found = true;
      break;
    }
  }
  if (!found) return false; // secondary axis not found

  if (matGetDeterminantI3(setTransformationMatrix(axes)) < 0) {
    const tmp = axes[0];
    axes[0] = axes[1];
    axes[1] = tmp;
  }
  return true;
}

/**
 * spglib `lauennn` (bulk): the distinct axes of the two-fold (`rotOrder` 2) or four-fold
 * (`rotOrder` 4) rotations, in order of appearance, then sorted by {@link sortAxes}.
 */
function lauennn(axes: number[], pointsym: PointSymmetry, rotOrder: number): boolean {
  axes[0] = -1;
  axes[1] = -1;
  axes[2] = -1;
  let count = 0;
  for (let i = 0; i < pointsym.size; i++) {
    const propRot = getProperRotation(pointsym.rot[i]);
    // Search two- or four-fold rotation.
    const trace = matGetTraceI3(propRot);
    if ((trace === -1 && rotOrder === 2) || (trace === 1 && rotOrder === 4)) {
      const axis = getRotationAxis(propRot);
      if (!(axis === axes[0] || axis === axes[1] || axis === axes[2])) {
        // spglib writes past the three axes here only for invalid groups; ignore such extras.
        if (count < 3) axes[count] = axis;
        count++;
      }
    }
  }
  sortAxes(axes);
  return true;
}

/** spglib `get_rotation_axis`: the first candidate axis fixed by a proper rotation (-1 for identity or none). */
function getRotationAxis(properRot: IMat3): number {
  // No specific axis for I and -I.
  if (matCheckIdentityMatrixI3(properRot, IDENTITY)) return -1;
  // Look for the eigenvector with eigenvalue 1 = the rotation axis.
  for (let i = 0; i < NUM_ROT_AXES; i++) {
    const vec = matMultiplyMatrixVectorI3(properRot, ROT_AXES[i] as number[]);
    if (vec[0] === ROT_AXES[i][0] && vec[1] === ROT_AXES[i][1] && vec[2] === ROT_AXES[i][2]) return i;
  }
  return -1;
}

/**
 * spglib `get_orthogonal_axis`: indices of the candidate axes v with (1 + R + … + R^(n-1))·v = 0,
 * i.e. perpendicular (in the lattice-invariant sense) to the n-fold axis of R.
 */
function getOrthogonalAxis(properRot: IMat3, rotOrder: number): number[] {
  let sumRot = matCopyMatrixI3(IDENTITY);
  let rot = matCopyMatrixI3(IDENTITY);
  for (let i = 0; i < rotOrder - 1; i++) {
    rot = matMultiplyMatrixI3(properRot, rot);
    sumRot = matAddMatrixI3(sumRot, rot);
  }
  const orthoAxes: number[] = [];
  for (let i = 0; i < NUM_ROT_AXES; i++) {
    const vec = matMultiplyMatrixVectorI3(sumRot, ROT_AXES[i] as number[]);
    if (vec[0] === 0 && vec[1] === 0 && vec[2] === 0) orthoAxes.push(i);
  }
  return orthoAxes;
}

/** spglib `get_proper_rotation`: -R for an improper R, else a copy of R. */
function getProperRotation(rot: IMat3): IMat3 {
  if (matGetDeterminantI3(rot) === -1) return matMultiplyMatrixI3(INVERSION, rot);
  return matCopyMatrixI3(rot);
}

/** spglib `set_transformation_matrix`: columns are the chosen axes (index ≥ 73: reversed). */
function setTransformationMatrix(axes: number[]): IMat3 {
  const tmat: IMat3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (let j = 0; j < 3; j++) {
    const s = axes[j] < NUM_ROT_AXES ? 1 : -1;
    // Only an axis search that spglib leaves undefined gives an index outside the table.
    const axis = ROT_AXES[axes[j] % NUM_ROT_AXES] ?? [0, 0, 0];
    for (let i = 0; i < 3; i++) tmat[i][j] = s * axis[i] + 0;
  }
  return tmat;
}

/** spglib `is_exist_axis`: 1 when `axisVec` is candidate `axisIndex`, -1 when its reverse, else 0. */
function isExistAxis(axisVec: number[], axisIndex: number): number {
  const a = ROT_AXES[axisIndex];
  if (axisVec[0] === a[0] && axisVec[1] === a[1] && axisVec[2] === a[2]) return 1;
  if (axisVec[0] === -a[0] && axisVec[1] === -a[1] && axisVec[2] === -a[2]) return -1;
  return 0;
}

/** spglib `sort_axes`: ascending axis indices, then b and c swapped if left-handed. */
function sortAxes(axes: number[]): void {
  const swap = (i: number, j: number) => {
    const t = axes[i];
    axes[i] = axes[j];
    axes[j] = t;
  };
  if (axes[1] > axes[2] + ZERO_PREC) swap(1, 2);
  if (axes[0] > axes[1] + ZERO_PREC) swap(0, 1);
  if (axes[1] > axes[2] + ZERO_PREC) swap(1, 2);
  if (matGetDeterminantI3(setTransformationMatrix(axes)) < 0) swap(1, 2);
}
