/**
 * Running pymatgen's StructureMatcher (`tools/match_reference.py`, Debian's
 * python3-pymatgen 2022.11.7) from match/ parity tests and benchmarks.
 *
 * @module
 */
import type { Structure } from "../../cif/structure.ts";
import { jsonLinesReference } from "../python.ts";

/** pymatgen's answer for one pair. */
export interface PymatgenFit {
  fit: boolean;
  rms: [number, number] | null;
}

/** What {@link pymatgenMatch} returns. */
export interface PymatgenMatchResult {
  /** One answer per requested pair. */
  fits: PymatgenFit[];
  /** `group_structures` over all structures (input indices), when asked. */
  groups?: number[][];
  /** Seconds pymatgen spent in `group_structures` alone. */
  groupSeconds?: number;
  /** Upstream's greedy uniqueness (`check_valid_unique_novel.py`), when asked. */
  unique?: number[];
}

/**
 * Ask pymatgen about structures, in one Python process.
 *
 * @param structures Ordered structures (sent as lattice, species and fractional coordinates).
 * @param options `pairs` to fit and `get_rms_dist`, `group` to run `group_structures`, `unique` for
 *   upstream's greedy uniqueness, and tolerances.
 * @returns pymatgen's answers.
 * @throws {Error} When the Python process fails.
 */
export async function pymatgenMatch(
  structures: readonly Structure[],
  options: {
    pairs?: [number, number][];
    group?: boolean;
    unique?: boolean;
    ltol?: number;
    stol?: number;
    angleTol?: number;
  } = {},
): Promise<PymatgenMatchResult> {
  const { pairs = [], group = false, unique = false, ltol = 0.2, stol = 0.3, angleTol = 5 } = options;
  const reqs: object[] = structures.map((s) => ({
    op: "structure",
    lattice: s.lattice.matrix,
    species: s.sites.map((x) => x.species[0][0]),
    frac: s.sites.map((x) => x.frac),
  }));
  for (const [i, j] of pairs) reqs.push({ op: "fit", i, j });
  if (group) reqs.push({ op: "group" });
  if (unique) reqs.push({ op: "unique" });
  const lines = await jsonLinesReference<any>("tools/match_reference.py", reqs, [
    "--ltol",
    String(ltol),
    "--stol",
    String(stol),
    "--angle-tol",
    String(angleTol),
  ]);
  const res: PymatgenMatchResult = { fits: lines.slice(0, pairs.length) };
  let next = pairs.length;
  if (group) {
    const g = lines[next++];
    res.groups = g.groups;
    res.groupSeconds = g.seconds;
  }
  if (unique) res.unique = lines[next++].unique;
  return res;
}
