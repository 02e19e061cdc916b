/**
 * The build's first step: any CIF in, pymatgen `CifWriter(symprec=0.1)` text out
 * (`cif/` reads it, `symmetry/` refines and writes it).
 *
 * @module
 */
import { structureFromCif } from "../cif/from_cif.ts";
import { symmetrizedCif } from "../symmetry/symmetrize.ts";

/** A symmetrize step: CIF text (and its id, for messages) to CifWriter text. */
export type SymmetrizeFn = (cif: string, file: string) => string;

/**
 * The CifWriter-equivalent symmetrizer, as upstream's dataset scripts run it.
 *
 * @param symprec Distance tolerance in Å (CrystaLLM uses 0.1).
 * @returns A {@linkcode SymmetrizeFn}.
 * @throws {Error} From the returned function: `CifSyntaxError`, `CifStructureError` or `SymmetryError`.
 */
export function cifWriterSymmetrize(symprec = 0.1): SymmetrizeFn {
  return (cif, file) => symmetrizedCif(structureFromCif(cif, { file }), { symprec });
}

/** The identity step, for inputs that are already CifWriter output (`--no-symmetrize`). */
export const keepAsIs: SymmetrizeFn = (cif) => cif;
