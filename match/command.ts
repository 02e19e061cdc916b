/**
 * `crystallm match …`: group equivalent structures, and score CSP generations.
 *
 * @module
 */
import { Command, Option } from "commander";
import { basename } from "node:path";
import { listCifFiles, readText } from "../cif/files.ts";
import { structureFromCif } from "../cif/from_cif.ts";
import type { Structure } from "../cif/structure.ts";
import { spaceGroupOpsForCif } from "../symmetry/cif_fallback.ts";
import { benchmarkMetricsFromFiles, type BenchmarkValidity } from "./benchmark_metrics.ts";
import { BENCHMARK_MATCHER_OPTIONS, DEFAULT_MATCHER_OPTIONS, StructureMatcher } from "./structure_matcher.ts";

/** What `crystallm match <dir>` prints. */
export interface MatchGroupsOutput {
  settings: { ltol: number; stol: number; angle_tol: number; primitive_cell: boolean; scale: boolean };
  n_files: number;
  n_groups: number;
  /** File names per group of equivalent structures, in pymatgen's `group_structures` order. */
  groups: string[][];
  /** Files that did not parse, with the error. */
  unparsed: { file: string; error: string }[];
}

/**
 * Group the CIF files of a directory (or a list of files) by structural equivalence.
 *
 * @param paths CIF files or directories of `*.cif`.
 * @param tol `ltol`, `stol`, `angleTol`.
 * @returns The groups as file names.
 * @throws {Error} When a path does not exist.
 */
export function matchGroups(
  paths: string[],
  tol: { ltol: number; stol: number; angleTol: number },
): MatchGroupsOutput {
  const files = listCifFiles(paths);
  const structures: Structure[] = [];
  const names: string[] = [];
  const unparsed: { file: string; error: string }[] = [];
  for (const f of files) {
    try {
      structures.push(structureFromCif(readText(f), { file: f, spaceGroupOps: spaceGroupOpsForCif }));
      names.push(paths.length === 1 ? basename(f) : f);
    } catch (e) {
      unparsed.push({ file: f, error: (e as Error).message });
    }
  }
  const sm = new StructureMatcher(tol);
  const groups = sm.groupStructures(structures).map((g) => g.map((i) => names[i]));
  return {
    settings: { ltol: tol.ltol, stol: tol.stol, angle_tol: tol.angleTol, primitive_cell: true, scale: true },
    n_files: files.length,
    n_groups: groups.length,
    groups,
    unparsed,
  };
}

const num = (v: string) => {
  const x = Number(v);
  if (!Number.isFinite(x) || x < 0) throw new Error(`Invalid tolerance: ${v}`);
  return x;
};

/**
 * The `match` command: `crystallm match <paths...>` prints groups of equivalent
 * structures as JSON; `crystallm match benchmark <gen> <truth>` prints CSP match
 * rate and RMS at n = 1 and 20.
 *
 * @returns The commander command.
 * @example Group a folder, then score generations
 * ```ts
 * import { matchCommand } from "./command.ts";
 * const cmd = matchCommand();
 * if (cmd.name() !== "match") throw new Error();
 * ```
 */
export function matchCommand(): Command {
  const match = new Command("match")
    .description(
      "group structurally equivalent CIFs (pymatgen StructureMatcher) and print the groups as JSON",
    )
    .argument("<paths...>", "CIF files or directories of *.cif")
    .addOption(
      new Option("--stol <x>", "site tolerance, fraction of (V/n)^(1/3)").default(
        DEFAULT_MATCHER_OPTIONS.stol,
      )
        .argParser(num),
    )
    .addOption(
      new Option("--ltol <x>", "fractional length tolerance").default(DEFAULT_MATCHER_OPTIONS.ltol).argParser(
        num,
      ),
    )
    .addOption(
      new Option("--angle-tol <deg>", "angle tolerance in degrees").default(DEFAULT_MATCHER_OPTIONS.angleTol)
        .argParser(num),
    )
    .option("--benchmark", "CrystaLLM's benchmark settings: stol 0.5, ltol 0.3, angle-tol 10", false)
    .addHelpText(
      "after",
      `
Examples:
  $ deno task crystallm match runs/gen/postprocessed
  $ deno task crystallm match runs/gen/postprocessed --benchmark
  $ deno task crystallm match benchmark gen_cifs.tar.gz ../shared/data/crystallm-benchmarks/perov_5/test.csv.gz`,
    )
    .action((paths: string[], opts: { stol: number; ltol: number; angleTol: number; benchmark: boolean }) => {
      const tol = opts.benchmark
        ? {
          ltol: BENCHMARK_MATCHER_OPTIONS.ltol,
          stol: BENCHMARK_MATCHER_OPTIONS.stol,
          angleTol: BENCHMARK_MATCHER_OPTIONS.angleTol,
        }
        : { ltol: opts.ltol, stol: opts.stol, angleTol: opts.angleTol };
      let out: MatchGroupsOutput;
      try {
        out = matchGroups(paths, tol);
      } catch (e) {
        match.error((e as Error).message, { exitCode: 2 });
      }
      console.log(JSON.stringify(out!, null, 2));
      if (out!.unparsed.length) console.error(`${out!.unparsed.length}/${out!.n_files} CIFs did not parse`);
    });

  match.command("benchmark")
    .description("CSP match rate and mean RMS at n=1 and n=20, as CrystaLLM's bin/benchmark_metrics.py")
    .argument("<generated>", "directory or .tar.gz of generated CIFs named id__n.cif")
    .argument(
      "<truth>",
      "ground truth: directory or .tar.gz of id.cif, or the benchmark CSV (material_id, cif)",
    )
    .option("--n <list>", "generations per ID to score, comma-separated", "1,20")
    .addOption(
      new Option("--validity <kind>", "is_valid before matching").choices(["upstream", "structure", "none"])
        .default("upstream"),
    )
    .option("--expect-sha256 <hex>", "refuse a ground-truth file with another SHA-256")
    .option("--out <file>", "also write the report as JSON here")
    .addHelpText(
      "after",
      `
Examples:
  $ deno task crystallm match benchmark gen_perov5.tar.gz ../shared/data/crystallm-benchmarks/perov_5/test.csv.gz
  $ deno task crystallm match benchmark gen/ truth/ --n 1,20 --expect-sha256 <hex> --out metrics.json`,
    )
    .action(
      (
        gen: string,
        truth: string,
        opts: { n: string; validity: string; expectSha256?: string; out?: string },
      ) => {
        const ns = opts.n.split(",").map((x) => parseInt(x, 10));
        if (ns.some((x) => !(x > 0))) match.error(`Invalid --n: ${opts.n}`, { exitCode: 2 });
        let report;
        try {
          report = benchmarkMetricsFromFiles(gen, truth, {
            ns,
            validity: opts.validity as BenchmarkValidity,
            expectSha256: opts.expectSha256,
          });
        } catch (e) {
          console.error(`Error: ${(e as Error).message}`);
          Deno.exit(1);
        }
        for (const w of report.warnings) console.error(`WARNING: ${w}`);
        const { per_id: _perId, missing_ids: missing, ...summary } = report;
        console.log(JSON.stringify({ ...summary, n_missing_ids: missing.length }, null, 2));
        if (opts.out) Deno.writeTextFileSync(opts.out, JSON.stringify(report, null, 2) + "\n");
      },
    );
  return match;
}
