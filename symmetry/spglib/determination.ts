/**
 * Determination: spglib's `determination.c` (spglib by Atsushi Togo, BSD-3-Clause; see
 * ./README.md) in TypeScript. Ties primitive-cell search, space-group search and refinement
 * together, shrinking the tolerances and retrying when a stage fails.
 *
 * @module
 */
import type { Cell } from "./types.ts";
import { prmGetPrimitive } from "./primitive.ts";
import type { Primitive } from "./primitive.ts";
import { spaSearchSpacegroup } from "./spacegroup.ts";
import type { Spacegroup } from "./spacegroup.ts";
import { refGetExactStructureAndSymmetry } from "./refinement.ts";
import type { ExactStructure } from "./refinement.ts";

const REDUCE_RATE_OUTER = 0.9;
const NUM_ATTEMPT_OUTER = 10;
const REDUCE_RATE = 0.95;
const ANGLE_REDUCE_RATE = 0.95;
const NUM_ATTEMPT = 20;

/** spglib `DataContainer`. */
export interface DataContainer {
  primitive: Primitive;
  spacegroup: Spacegroup;
  exactStructure: ExactStructure;
}

/**
 * spglib `det_determine_all`: primitive cell, space group (in the Hall setting `hallNumber`, 0:
 * default) and exact structure, retrying with the tolerance reduced by 10% up to 10 times; null
 * when nothing is found.
 */
export function detDetermineAll(
  cell: Cell,
  hallNumber: number,
  symprec: number,
  angleSymprec: number,
): DataContainer | null {
  if (hallNumber > 530) return null;
  let tolerance = symprec;
  for (let attempt = 0; attempt < NUM_ATTEMPT_OUTER; attempt++) {
    const found = getSpacegroupAndPrimitive(cell, hallNumber, tolerance, angleSymprec);
    if (found !== null) {
      const primCell = found.primitive.cell;
      if (primCell !== null) {
        const exactStructure = refGetExactStructureAndSymmetry(
          found.spacegroup,
          primCell,
          cell,
          found.primitive.mappingTable,
          found.primitive.tolerance,
        );
        if (exactStructure !== null) return { ...found, exactStructure };
      }
    }
    tolerance *= REDUCE_RATE_OUTER;
  }
  return null;
}

/** spglib `get_spacegroup_and_primitive`: up to 20 attempts, tolerances reduced by 5% each. */
function getSpacegroupAndPrimitive(
  cell: Cell,
  hallNumber: number,
  symprec: number,
  angleSymprec: number,
): { primitive: Primitive; spacegroup: Spacegroup } | null {
  let tolerance = symprec;
  let angleTolerance = angleSymprec;
  for (let attempt = 0; attempt < NUM_ATTEMPT; attempt++) {
    const primitive = prmGetPrimitive(cell, tolerance, angleTolerance);
    if (primitive !== null) {
      const spacegroup = spaSearchSpacegroup(
        primitive,
        hallNumber,
        primitive.tolerance,
        primitive.angleTolerance,
      );
      if (spacegroup !== null) return { primitive, spacegroup };
    }
    tolerance *= REDUCE_RATE;
    if (angleTolerance > 0) angleTolerance *= ANGLE_REDUCE_RATE;
  }
  return null;
}
