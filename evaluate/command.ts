/**
 * `crystallm evaluate <dir> --out <eval.csv>`: one CSV row per CIF with upstream CrystaLLM's
 * checks, and the set metrics printed and written beside the CSV (`<name>.metrics.json`).
 *
 * Try the following:
 * ```sh
 * deno task crystallm evaluate out/gen --out out/eval.csv --prompt Na2Cl2
 * deno task crystallm evaluate fixtures/nacl10 --out /tmp/nacl10_eval.csv
 * ```
 *
 * @module
 */
import { dirname } from "node:path";
import { matcherPredicate } from "../match/structure_matcher.ts";
import { Command } from "commander";
import { Composition } from "../cif/composition.ts";
import { type EvalMetrics, evaluate, metricsPathFor, rowsToCsv } from "./evaluate.ts";

function pct(n: number, d: number): string {
  return d ? `${n}/${d} (${(100 * n / d).toFixed(1)}%)` : `${n}/${d}`;
}

/**
 * The metrics as the lines `crystallm evaluate` prints.
 *
 * @param m Metrics.
 * @returns Human-readable lines.
 */
export function formatMetrics(m: EvalMetrics): string[] {
  const lines = [
    `parsed:   ${pct(m.n_parsed, m.n_files)}`,
    `sensible: ${pct(m.n_sensible, m.n_files)}`,
    `valid:    ${pct(m.n_valid, m.n_files)}`,
  ];
  if (m.prompt) {
    lines.push(
      `hit rate (${m.prompt_reduced_formula}): ${pct(m.n_hit, m.n_files)}; valid hits ${m.n_hit_valid}`,
    );
  }
  lines.push(
    `unique among valid: ${pct(m.n_unique_valid, m.n_valid)} [${m.uniqueness_method}]`,
    `distinct reduced formulas: ${m.n_distinct_reduced_formulas} parsed, ${m.n_distinct_reduced_formulas_valid} valid`,
    `distinct space groups: ${m.n_distinct_space_groups} parsed, ${m.n_distinct_space_groups_valid} valid`,
    `mean bond-length score: ${
      m.mean_bond_length_score === null ? "n/a" : m.mean_bond_length_score.toFixed(4)
    } over ${m.n_bond_length_score}`,
    m.novelty === null || m.n_novel === null
      ? `novelty: n/a (${m.novelty_note})`
      : `novelty: ${
        pct(m.n_novel, m.n_unique_greedy ?? 0)
      } of greedy uniques; ${m.n_novel_by_composition} by composition alone [${m.novelty_note}]`,
  );
  const u = m.upstream_evaluate_cifs;
  if (u) {
    const ms = (a: number | null, b: number | null, d: number) =>
      a === null ? "n/a" : `${a.toFixed(d)} ± ${b!.toFixed(d)}`;
    lines.push(
      "as upstream's bin/evaluate_cifs.py counts (one chain per CIF; a step that raises ends it):",
      `  space group consistent: ${u.space_group_consistent}/${u.n}`,
      `  atom site multiplicity consistent: ${u.multiplicity_consistent}/${u.n}`,
      `  avg. bond length reasonableness score: ${ms(u.bond_length_score_mean, u.bond_length_score_std, 4)}`,
      `  bond lengths reasonable: ${u.bonds_reasonable}/${u.n}`,
      `  num valid: ${u.valid}/${u.n}`,
      `  avg. valid generated length: ${ms(u.valid_gen_len_mean, u.valid_gen_len_std, 3)}`,
    );
  }
  return lines;
}

/**
 * The `evaluate` subcommand.
 *
 * @returns A commander command.
 */
export function evaluateCommand(): Command {
  return new Command("evaluate")
    .description("check generated CIFs as upstream CrystaLLM does (one CSV row each) and print set metrics")
    .argument("<dir>", "folder of post-processed *.cif files, or a .tar.gz of them")
    .requiredOption("--out <eval.csv>", "CSV to write; the metrics go to <name>.metrics.json beside it")
    .option("--prompt <formula>", "the prompt's formula, for the hit rate (reduced formulas compared)")
    .option(
      "--train <token_dir|cif_dir>",
      "training set for novelty: token folder (train.bin), CIF folder, .tar.gz or CSV",
    )
    .option(
      "--no-match",
      "uniqueness by (formula, space group, lattice) instead of pymatgen's StructureMatcher",
    )
    .addHelpText(
      "after",
      `
Examples:
  $ crystallm evaluate out/gen --out out/eval.csv --prompt Na2Cl2
  $ crystallm evaluate fixtures/nacl10 --out /tmp/nacl10_eval.csv`,
    )
    .action(
      (dir: string, opts: { out: string; prompt?: string; train?: string; match: boolean }, cmd: Command) => {
        try {
          if (!Deno.statSync(dir).isDirectory) cmd.error(`error: Not a directory: ${dir}`, { exitCode: 2 });
        } catch {
          cmd.error(`error: Cannot read ${dir}: no such file or directory`, { exitCode: 2 });
        }
        if (opts.prompt) {
          try {
            Composition.parse(opts.prompt);
          } catch (e) {
            cmd.error(`error: Cannot read --prompt: ${(e as Error).message}`, { exitCode: 2 });
          }
        }
        const t0 = performance.now();
        // uniqueness among valid structures: pymatgen's default StructureMatcher, as upstream
        const matcher = opts.match ? matcherPredicate() : undefined;
        const { rows, metrics } = evaluate(dir, { prompt: opts.prompt, train: opts.train, matcher });
        const seconds = (performance.now() - t0) / 1000;
        Deno.mkdirSync(dirname(opts.out), { recursive: true });
        Deno.writeTextFileSync(opts.out, rowsToCsv(rows));
        const metricsPath = metricsPathFor(opts.out);
        Deno.writeTextFileSync(
          metricsPath,
          JSON.stringify(
            { dir, csv: opts.out, upstream: "CrystaLLM bin/evaluate_cifs.py @ 8e81a86", seconds, ...metrics },
            null,
            2,
          ) + "\n",
        );
        for (const l of formatMetrics(metrics)) console.log(l);
        console.error(
          `wrote ${rows.length} rows to ${opts.out} and metrics to ${metricsPath} (${seconds.toFixed(1)} s)`,
        );
      },
    );
}
