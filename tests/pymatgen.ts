/**
 * Running the pymatgen reference (`tools/pymatgen_reference.py`) from tests.
 *
 * pymatgen comes from Debian's `python3-pymatgen`, which the test command installs
 * (`tasks/test.sh`); it is an independent reference for parity tests, never a runtime
 * dependency of the harness.
 *
 * @module
 */
import { hasPython, jsonLinesReference } from "./python.ts";

/** What pymatgen makes of one CIF. */
export interface PymatgenResult {
  id: string;
  ok: boolean;
  error: string | null;
  formula?: string;
  reduced_formula?: string;
  n_sites?: number;
  volume?: number;
  p1_cif?: string;
  sg_number?: number;
  sg_symbol?: string;
  sym_cif?: string;
  seconds: number;
}

/** True when Debian's python3 with pymatgen is installed. */
export function hasPymatgen(): boolean {
  return hasPython(["pymatgen.core"]);
}

/**
 * Ask pymatgen about many CIFs in one Python process.
 *
 * @param cifs `[id, text]` pairs.
 * @param symmetry Also compute space groups and symmetrized CIFs.
 * @param extraArgs More flags for the script (`--parse-only`).
 * @returns One result per input, in order.
 */
export function pymatgenReference(
  cifs: [string, string][],
  symmetry = false,
  extraArgs: string[] = [],
): Promise<PymatgenResult[]> {
  return jsonLinesReference<PymatgenResult>(
    "tools/pymatgen_reference.py",
    cifs.map(([id, cif]) => ({ id, cif })),
    [...(symmetry ? ["--symmetry"] : []), ...extraArgs],
  );
}
