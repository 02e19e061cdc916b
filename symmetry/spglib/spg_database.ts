/**
 * Space-group database: spglib's `spg_database.c` (spglib by Atsushi Togo, BSD-3-Clause; see
 * ./README.md) in TypeScript, for the 530 Hall settings of the bulk space groups (no layer
 * groups). The tables (`data/spg_database.json`: `spacegroup_types`,
 * `symmetry_operation_index` and the encoded `symmetry_operations`) were read out of Debian's
 * python3-spglib 2.0.2 and checked against its python API by `tools/gen_spg_database.py`.
 *
 * Also home of spglib's `Centering` enum (declared in spacegroup.h in C).
 *
 * @module
 */
import type { IMat3, Symmetry, Vec3 } from "./types.ts";
import db from "./data/spg_database.json" with { type: "json" };

/** spglib `Centering` (spacegroup.h): lattice centering of a conventional cell. */
export const Centering = {
  CENTERING_ERROR: 0,
  PRIMITIVE: 1,
  BODY: 2,
  FACE: 3,
  A_FACE: 4,
  B_FACE: 5,
  C_FACE: 6,
  BASE: 7,
  R_CENTER: 8,
} as const;
/** A value of {@link Centering}. */
export type Centering = number;

/** spglib `SpacegroupType` (spg_database.h): one row of the Hall-setting table. */
export interface SpacegroupType {
  number: number;
  schoenflies: string;
  hallSymbol: string;
  international: string;
  internationalFull: string;
  internationalShort: string;
  choice: string;
  centering: Centering;
  pointgroupNumber: number;
}

type TypeRow = [number, string, string, string, string, string, string, number, number];

const TYPES = db.types as TypeRow[];
const OPERATION_INDEX = db.operationIndex as number[][];
const OPERATIONS = db.operations as number[];

/** spglib `spgdb_decode_symmetry`: rotation (ternary digits) and translation (twelfths) of an encoded operation. */
export function spgdbDecodeSymmetry(encoded: number): { rot: IMat3; trans: Vec3 } {
  const r = encoded % 19683; // 3^9
  let digit = 6561; // 3^8
  const rot: IMat3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      rot[i][j] = Math.trunc((r % (digit * 3)) / digit) - 1;
      digit = Math.trunc(digit / 3);
    }
  }
  const t = Math.trunc(encoded / 19683);
  digit = 144;
  const trans: Vec3 = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    trans[i] = Math.trunc((t % (digit * 12)) / digit) / 12;
    digit = Math.trunc(digit / 12);
  }
  return { rot, trans };
}

/**
 * spglib `spgdb_get_operation`: the operation stored at position `hallNumber` of the flat
 * operation table (despite the C parameter name it is an operation index, see
 * {@link spgdbGetOperationIndex}).
 */
export function spgdbGetOperation(hallNumber: number): { rot: IMat3; trans: Vec3 } {
  return spgdbDecodeSymmetry(OPERATIONS[hallNumber]);
}

/** spglib `spgdb_get_operation_index`: [number of operations, first index in the operation table] of a Hall number. */
export function spgdbGetOperationIndex(hallNumber: number): number[] {
  const row = OPERATION_INDEX[hallNumber];
  return row === undefined ? [0, 0] : [row[0], row[1]];
}

/** spglib `spgdb_get_spacegroup_operations`: the database operations of a Hall number (1–530), or null. */
export function spgdbGetSpacegroupOperations(hallNumber: number): Symmetry | null {
  if (!Number.isInteger(hallNumber) || hallNumber < 1 || hallNumber > 530) return null;
  const [size, start] = spgdbGetOperationIndex(hallNumber);
  const rot: IMat3[] = [];
  const trans: Vec3[] = [];
  for (let i = 0; i < size; i++) {
    const op = spgdbGetOperation(start + i);
    rot.push(op.rot);
    trans.push(op.trans);
  }
  return { size, rot, trans };
}

/**
 * spglib `spgdb_get_spacegroup_type`: the type row of a Hall number, with trailing blanks removed
 * and `=` in the Hall symbol turned back into `"`; number 0 (empty row) when out of range.
 */
export function spgdbGetSpacegroupType(hallNumber: number): SpacegroupType {
  const inRange = Number.isInteger(hallNumber) && hallNumber > 0 && hallNumber < 531;
  const key = inRange ? hallNumber : 0;
  // the rows are constant: build each once (the space-group search asks for them in its inner loops)
  const cached = TYPE_CACHE[key] ??= spacegroupTypeRow(key);
  return { ...cached };
}

const TYPE_CACHE: SpacegroupType[] = [];

function spacegroupTypeRow(key: number): SpacegroupType {
  const row = TYPES[key];
  const hall = spgdbRemoveSpace(row[2], 17);
  return {
    number: row[0],
    schoenflies: spgdbRemoveSpace(row[1], 7).symbol,
    hallSymbol: replaceEqualChar(hall.symbol, hall.position),
    international: spgdbRemoveSpace(row[3], 32).symbol,
    internationalFull: spgdbRemoveSpace(row[4], 20).symbol,
    internationalShort: spgdbRemoveSpace(row[5], 11).symbol,
    choice: spgdbRemoveSpace(row[6], 6).symbol,
    centering: row[7],
    pointgroupNumber: row[8],
  };
}

/**
 * spglib `spgdb_remove_space`: drops the trailing blanks of a `numChar`-byte C string; returns the
 * trimmed symbol and, as `position`, the index of its last kept character (-1 when all blank),
 * which is what the C function returns.
 */
export function spgdbRemoveSpace(symbol: string, numChar: number): { symbol: string; position: number } {
  const chars = symbol.slice(0, numChar - 1).padEnd(numChar - 1, " ");
  let i = numChar - 2;
  for (; i > -1; i--) {
    if (chars[i] !== " ") break;
  }
  return { symbol: chars.slice(0, i + 1), position: i };
}

function replaceEqualChar(symbol: string, position: number): string {
  const head = symbol.slice(0, position + 1).replaceAll("=", '"');
  return head + symbol.slice(position + 1);
}
