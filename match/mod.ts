/**
 * Structure matching: pymatgen's StructureMatcher in TypeScript, grouping and
 * upstream's greedy uniqueness, and CrystaLLM's CSP benchmark metrics.
 *
 * ```ts
 * import { Lattice } from "../cif/lattice.ts";
 * import { Structure } from "../cif/structure.ts";
 * import { BENCHMARK_MATCHER_OPTIONS, StructureMatcher } from "./mod.ts";
 * const l = Lattice.fromParameters(4, 4, 4, 90, 90, 90);
 * const a = new Structure(l, [{ species: [["Cs", 1]], frac: [0, 0, 0] }, { species: [["Cl", 1]], frac: [0.5, 0.5, 0.5] }]);
 * const b = new Structure(l, [{ species: [["Cs", 1]], frac: [0.1, 0, 0] }, { species: [["Cl", 1]], frac: [0.6, 0.5, 0.5] }]);
 * const sm = new StructureMatcher(BENCHMARK_MATCHER_OPTIONS);
 * if (!sm.fit(a, b) || sm.groupStructures([a, b]).length !== 1) throw new Error();
 * ```
 *
 * @module
 */
export * from "./structure_matcher.ts"; // StructureMatcher, groupStructures, uniqueStructuresGreedy
export * from "./linear_assignment.ts"; // linearAssignment (Hungarian algorithm)
export * from "./benchmark_metrics.ts"; // benchmarkMetrics, benchmarkMetricsFromFiles (match rate, RMS)
export * from "./command.ts"; // matchCommand
