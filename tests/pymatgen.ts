/**
 * Running the pymatgen reference (`tools/pymatgen_reference.py`) from tests.
 *
 * pymatgen comes from Debian's `python3-pymatgen`, which `tasks/setup.sh`
 * installs; it is an independent reference for parity tests, never a runtime
 * dependency of the harness.
 *
 * @module
 */
import { join } from "node:path";
import { REPO_ROOT } from "./shared.ts";

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
  try {
    const r = new Deno.Command("/usr/bin/python3", { args: ["-c", "import pymatgen.core"], stderr: "null", stdout: "null" })
      .outputSync();
    return r.success;
  } catch {
    return false;
  }
}

/**
 * Ask pymatgen about many CIFs in one Python process.
 *
 * @param cifs `[id, text]` pairs.
 * @param symmetry Also compute space groups and symmetrized CIFs.
 * @param extraArgs More flags for the script (`--parse-only`).
 * @returns One result per input, in order.
 */
export async function pymatgenReference(
  cifs: [string, string][],
  symmetry = false,
  extraArgs: string[] = [],
): Promise<PymatgenResult[]> {
  const cmd = new Deno.Command("/usr/bin/python3", {
    args: [join(REPO_ROOT, "tools/pymatgen_reference.py"), ...(symmetry ? ["--symmetry"] : []), ...extraArgs],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  // read while writing: Python answers line by line, so a full stdout pipe would block it
  const output = child.output();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(cifs.map(([id, cif]) => JSON.stringify({ id, cif })).join("\n") + "\n"));
  await writer.close();
  const out = await output;
  if (!out.success) throw new Error(`pymatgen reference failed: ${new TextDecoder().decode(out.stderr).slice(-2000)}`);
  return new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => JSON.parse(l));
}
