/**
 * Running pymatgen's StructureMatcher (`tools/match_reference.py`, Debian's
 * python3-pymatgen 2022.11.7) from match/ parity tests and benchmarks.
 *
 * @module
 */
import { join } from "node:path";
import type { Structure } from "../../cif/structure.ts";
import { REPO_ROOT } from "../shared.ts";

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
  const reqs = structures.map((s) =>
    JSON.stringify({
      op: "structure",
      lattice: s.lattice.matrix,
      species: s.sites.map((x) => x.species[0][0]),
      frac: s.sites.map((x) => x.frac),
    })
  );
  for (const [i, j] of pairs) reqs.push(JSON.stringify({ op: "fit", i, j }));
  if (group) reqs.push(JSON.stringify({ op: "group" }));
  if (unique) reqs.push(JSON.stringify({ op: "unique" }));
  const child = new Deno.Command("/usr/bin/python3", {
    args: [
      join(REPO_ROOT, "tools/match_reference.py"),
      "--ltol",
      String(ltol),
      "--stol",
      String(stol),
      "--angle-tol",
      String(angleTol),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output(); // read while writing so a full pipe cannot block Python
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(reqs.join("\n") + "\n"));
  await w.close();
  const out = await output;
  if (!out.success) {
    throw new Error(`pymatgen match reference failed: ${new TextDecoder().decode(out.stderr).slice(-2000)}`);
  }
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n").filter((l) => l).map((l) =>
    JSON.parse(l)
  );
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
