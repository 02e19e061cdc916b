/**
 * Minimum-cost linear assignment (the Hungarian algorithm), standing in for
 * pymatgen's `pymatgen.optimization.linear_assignment.LinearAssignment` (a LAPJV
 * implementation) in StructureMatcher.
 *
 * This is the O(n²·m) shortest-augmenting-path form of the Hungarian method with
 * row and column potentials (Kuhn 1955; Munkres 1957; Jonker & Volgenant 1987):
 * rows are added one at a time and matched along a Dijkstra-like shortest path of
 * reduced costs. When several assignments share the minimum cost, the one chosen
 * may differ from LAPJV's; StructureMatcher only depends on that through ties.
 *
 * @module
 */

/** Result of {@link linearAssignment}. */
export interface Assignment {
  /** `solution[i]` is the column assigned to row `i`. */
  solution: number[];
  /** Sum of the chosen costs. */
  minCost: number;
}

/**
 * Solve the assignment problem for a cost matrix with at least as many columns as rows.
 *
 * @param cost Cost matrix, `cost[i][j]` for matching row `i` to column `j`.
 * @returns The assignment of every row to a distinct column with minimum total cost.
 * @throws {RangeError} When there are more rows than columns (as pymatgen: "cost matrix must have at least as many columns as rows").
 * @example Three workers
 * ```ts
 * import { linearAssignment } from "./linear_assignment.ts";
 * const { solution, minCost } = linearAssignment([[4, 1, 3], [2, 0, 5], [3, 2, 2]]);
 * if (minCost !== 5 || solution.join() !== "1,0,2") throw new Error();
 * ```
 */
export function linearAssignment(cost: readonly (readonly number[])[]): Assignment {
  const n = cost.length;
  if (n === 0) return { solution: [], minCost: 0 };
  const m = cost[0].length;
  if (n > m) {
    throw new RangeError("Cannot solve assignment: cost matrix must have at least as many columns as rows");
  }
  // 1-based arrays as in the classic formulation; column 0 is a virtual start
  const u = new Float64Array(n + 1), v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1); // p[j]: row matched to column j (0 = none)
  const way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      const row = cost[i0 - 1];
      let delta = Infinity, j1 = -1;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = row[j - 1] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      if (j1 < 0) throw new Error("Cannot solve assignment: cost matrix holds NaN");
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  const solution = new Array<number>(n).fill(-1);
  for (let j = 1; j <= m; j++) if (p[j] !== 0) solution[p[j] - 1] = j - 1;
  let minCost = 0;
  for (let i = 0; i < n; i++) minCost += cost[i][solution[i]];
  return { solution, minCost };
}
