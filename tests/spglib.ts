/**
 * Running the spglib reference (`tools/spglib_reference.py`, Debian's python3-spglib 2.0.2)
 * from tests, and the cells the spglib port is checked on.
 *
 * Lattices cross this boundary as ROWS (python spglib's layout); the port keeps columns
 * (`symmetry/spglib/types.ts`), so tests transpose.
 *
 * @module
 */
import { sharedPath } from "../core/paths.ts";
import { hasPython, jsonLinesReference } from "./python.ts";
import { readCorpus } from "./corpora.ts";
import { structureFromCif } from "../cif/from_cif.ts";
import { speciesTypes } from "../symmetry/analyzer.ts";

/** One request to the reference. */
export interface SpglibRequest {
  id: string;
  /** Rows a, b, c. */
  lattice: number[][];
  positions: number[][];
  numbers: number[];
  symprec?: number;
  angle_tolerance?: number;
  what: ("dataset" | "symmetry" | "refine" | "primitive" | "delaunay" | "niggli" | "database")[];
  eps?: number;
  hall_number?: number;
}

/** What python spglib answered (fields as python spglib names them; lattices as rows). */
// deno-lint-ignore no-explicit-any
export type SpglibAnswer = { id: string; error?: string } & Record<string, any>;

/** True when Debian's python3 with spglib is installed. */
export function hasSpglib(): boolean {
  return hasPython(["spglib"]);
}

export { jsonLinesReference };

/**
 * Ask python spglib about many cells in one process.
 *
 * @param reqs The requests.
 * @returns One answer per request, in order.
 */
export function spglibReference(reqs: SpglibRequest[]): Promise<SpglibAnswer[]> {
  return jsonLinesReference<SpglibAnswer>("tools/spglib_reference.py", reqs);
}

/** A test cell as pymatgen's `SpacegroupAnalyzer` hands it to spglib. */
export interface TestCell {
  id: string;
  /** Rows a, b, c (pymatgen `lattice.matrix`). */
  lattice: number[][];
  positions: number[][];
  numbers: number[];
}

/**
 * Cells from the shared corpora (perov_5, carbon_24, AFLOW prototypes, the oracle's raw CIFs),
 * parsed with our CIF reader, typed as pymatgen's `SpacegroupAnalyzer` types them.
 *
 * @param perCorpus At most this many cells from each corpus.
 * @returns The cells.
 */
export function testCells(perCorpus = 100): TestCell[] {
  const cifs: [string, string][] = [];
  for (const row of readCorpus("data/crystallm-benchmarks/perov_5/test.csv.gz", perCorpus)) {
    cifs.push([`perov_5:${row.material_id}`, row.cif]);
  }
  readCorpus("data/crystallm-benchmarks/carbon_24/test.csv.gz", perCorpus).forEach((row, i) =>
    cifs.push([`carbon_24:${i}`, row.cif])
  );
  for (const row of readCorpus("data/aflow-prototypes/prototypes.csv.gz", perCorpus)) {
    cifs.push([`aflow:${row.id}`, row.cif]);
  }
  const pre = Deno.readTextFileSync(sharedPath("oracle/tokenizer/preprocessed.jsonl"));
  for (const l of pre.trim().split("\n").slice(0, perCorpus)) {
    const r = JSON.parse(l) as { id: string; raw_cif: string };
    cifs.push([`oracle:${r.id}`, r.raw_cif]);
  }
  const cells: TestCell[] = [];
  for (const [id, cif] of cifs) {
    try {
      const s = structureFromCif(cif, { file: id });
      const { types } = speciesTypes(s.sites);
      cells.push({
        id,
        lattice: s.lattice.matrix.map((r) => [...r]),
        positions: s.sites.map((x) => [...x.frac]),
        numbers: types,
      });
    } catch {
      // unreadable CIFs are not symmetry test cases
    }
  }
  return cells;
}
