/**
 * CIF files and crystal structures with pymatgen 2022.11.7's semantics: a CIF 1.1
 * reader whose errors name file and line, `Structure.from_str`-equivalent structure
 * building, compositions and formulas, the element table, and the `CifWriter` layout.
 *
 * ```ts
 * import { Lattice, Structure, structureFromCif, writeCif } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const s = new Structure(Lattice.fromParameters(4.2, 4.2, 4.2, 90, 90, 90), [
 *   { species: [["Cs", 1]], frac: [0, 0, 0] },
 *   { species: [["Cl", 1]], frac: [0.5, 0.5, 0.5] },
 * ]);
 * const back = structureFromCif(writeCif(s));
 * assert.equal(back.composition.reducedFormula, "CsCl");
 * ```
 *
 * @module
 */
// defines: parseCif(), CifBlock, CifSyntaxError, cifNumber(), isNull()
export * from "./parse_cif.ts";
// defines: structureFromCif(), structureFromBlock(), CifStructureError, str2float(), parseSymbol()
export * from "./from_cif.ts";
// defines: writeCif(), renderCifWriter(), formatCifBlock(), formatField()
export * from "./write_cif.ts";
// defines: Structure, Site, speciesString(), siteLess()
export * from "./structure.ts";
// defines: Lattice, Vec3, Mat3, det(), inv3(), matmul3()
export * from "./lattice.ts";
// defines: Composition, FormulaError, formulaDoubleFormat()
export * from "./composition.ts";
// defines: element(), isElement(), isDummySymbol(), electronegativity(), compareElements()
export * from "./elements.ts";
// defines: parseXyz(), opToXyz(), applyOp(), limitDenominator(), SymOp
export * from "./symop.ts";
// defines: listCifFiles(), readText()
export * from "./files.ts";
