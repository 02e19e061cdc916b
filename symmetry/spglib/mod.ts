/**
 * spglib 2.0.2's symmetry dataset and cell refinement in TypeScript (the algorithm of spglib by
 * Atsushi Togo, BSD-3-Clause; see ./README.md), in python spglib's layout (lattice rows).
 *
 * @module
 */
export { findPrimitive, getSymmetryDataset, refineCell } from "./spglib.ts";
export type { PyCell, PySymmetryDataset, SpglibDataset } from "./spglib.ts";
