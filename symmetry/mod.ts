/**
 * Crystal symmetry as pymatgen 2022.11.7 / spglib 2.0.2 report it, computed by the TypeScript
 * port of spglib 2.0.2 (`./spglib/`); moyo (`@spglib/moyo-wasm`) as an independent cross-check.
 *
 * ```ts
 * import { Lattice } from "../cif/lattice.ts";
 * import { Structure } from "../cif/structure.ts";
 * import { spaceGroupOf, spaceGroupOps, symmetrizedCif } from "./mod.ts";
 * const s = new Structure(Lattice.fromParameters(3.99, 3.99, 3.99, 60, 60, 60), [
 *   { species: [["Na", 1]], frac: [0, 0, 0] },
 *   { species: [["Cl", 1]], frac: [0.5, 0.5, 0.5] },
 * ]);
 * if (spaceGroupOf(s).symbol !== "Fm-3m") throw new Error();
 * if (!symmetrizedCif(s).includes("_symmetry_Int_Tables_number   225")) throw new Error();
 * if (spaceGroupOps("Fm-3m")?.ops.length !== 192) throw new Error();
 * ```
 *
 * @module
 */
export * from "./analyzer.ts"; // defines: spaceGroupOf, spglibCell, speciesTypes, hallEntry, SymmetryError
export * from "./moyo.ts"; // defines: analyzeCell, moyoSpaceGroupOf (moyo, the cross-check)
export * from "./symmetrize.ts"; // defines: symmetrizedCif, refinedStructure, cifWriterOps
export * from "./space_group_ops.ts"; // defines: spaceGroupOps, spaceGroupSymbols, xyzToOp, opToXyz
export * as spglib from "./spglib/mod.ts"; // the port: getSymmetryDataset, refineCell, findPrimitive
