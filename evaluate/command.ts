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
import { Command, InvalidArgumentError } from "commander";
import { Composition } from "../cif/composition.ts";
import { type EvalMetrics, evaluate, metricsPathFor, rowsToCsv } from "./evaluate.ts";
import { readCifSet } from "../cif/cif_set.ts";
import { loadTrainingSet, type TrainingSet } from "./novelty.ts";

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError(`expected a positive integer, got ${value}`);
  }
  return n;
}

/**
 * Why a CIF is too large to evaluate at bounded cost, or null: its size in bytes, and its
 * atom-site rows (the lines of the loop that holds `_atom_site_fract_x`), counted without parsing.
 *
 * @param text The CIF.
 * @param limits `maxBytes` and `maxAtoms`.
 * @returns A message naming the flag that raises the limit, or null.
 * @example
 * ```ts
 * import { checkCifSize } from "./command.ts";
 * import assert from "node:assert/strict";
 * const cif = "data_X\nloop_\n_atom_site_label\n_atom_site_fract_x\nA 0\nB 0.5\n";
 * assert.equal(checkCifSize(cif, { maxBytes: 1000, maxAtoms: 2 }), null);
 * assert.match(checkCifSize(cif, { maxBytes: 1000, maxAtoms: 1 })!, /2 atom sites.*--max-atoms/);
 * ```
 */
export function checkCifSize(text: string, limits: { maxBytes: number; maxAtoms: number }): string | null {
  if (text.length > limits.maxBytes) {
    return `${text.length} bytes is over the limit of ${limits.maxBytes}; raise it with --max-cif-bytes`;
  }
  let rows = 0, inAtoms = false, inHeader = false;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "loop_") {
      inAtoms = false;
      inHeader = true;
    } else if (line.startsWith("_")) {
      if (!inHeader) inAtoms = false;
      else if (line.startsWith("_atom_site_fract_")) inAtoms = true;
    } else {
      inHeader = false;
      if (inAtoms && line && !line.startsWith("#")) rows++;
      if (/^data_/.test(line)) inAtoms = false;
    }
  }
  if (rows > limits.maxAtoms) {
    return `${rows} atom sites is over the limit of ${limits.maxAtoms}; raise it with --max-atoms`;
  }
  return null;
}

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
      `as upstream's bin/evaluate_cifs.py counts over the ${
        m.upstream_evaluate_cifs_over === "raw" ? "raw" : "evaluated"
      } CIFs (one chain per CIF; a step that raises ends it):`,
      `  space group consistent: ${u.space_group_consistent}/${u.n}`,
      `  atom site multiplicity consistent: ${u.multiplicity_consistent}/${u.n}`,
      `  avg. bond length reasonableness score: ${ms(u.bond_length_score_mean, u.bond_length_score_std, 4)}`,
      `  bond lengths reasonable: ${u.bonds_reasonable}/${u.n}`,
      `  num valid: ${u.valid}/${u.n}`,
      `  longest valid generated length: ${u.valid_gen_len_max ?? "n/a"}`,
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
    .argument("<dir>", "folder of post-processed *.cif files, or a .tar.gz of them (upstream's format)")
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
    .option(
      "--upstream-from <raw_dir>",
      "raw generated CIFs (folder or .tar.gz) for the figures upstream's bin/evaluate_cifs.py prints " +
        "(it runs on raw output, before post-processing); default: <dir>",
    )
    .option(
      "--max-cif-bytes <n>",
      "refuse a CIF larger than this many bytes (bounds time and memory)",
      positiveInt,
      2_000_000,
    )
    .option(
      "--max-atoms <n>",
      "refuse a CIF with more atom-site rows than this (bounds time)",
      positiveInt,
      2000,
    )
    .addHelpText(
      "after",
      `
Examples:
  $ crystallm evaluate out/gen --out out/eval.csv --prompt Na2Cl2
  $ crystallm evaluate fixtures/nacl10 --out /tmp/nacl10_eval.csv
  $ crystallm evaluate out/demo5/sample/nacl_ft/Na2Cl2/t1/processed --out /tmp/eval.csv \
      --upstream-from out/demo5/sample/nacl_ft/Na2Cl2/t1/raw`,
    )
    .action(
      (
        dir: string,
        opts: {
          out: string;
          prompt?: string;
          train?: string;
          match: boolean;
          upstreamFrom?: string;
          maxCifBytes: number;
          maxAtoms: number;
        },
        cmd: Command,
      ) => {
        try {
          Deno.statSync(dir);
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
        // --out is checked before anything is evaluated: a long evaluation must not end in EACCES
        const probe = `${opts.out}.probe-${Deno.pid}`;
        try {
          Deno.mkdirSync(dirname(opts.out), { recursive: true });
          Deno.writeTextFileSync(probe, "");
          Deno.removeSync(probe);
        } catch (e) {
          cmd.error(
            `error: Cannot write --out ${opts.out}: ${(e as Error).message}; choose a writable path`,
            { exitCode: 1 },
          );
        }
        // every CIF is read and its size checked before any is evaluated: bounded cost (one
        // 100k-atom CIF took minutes and a 50 MB one 2 GB of memory)
        const readChecked = (path: string, flag: string) => {
          let set: ReturnType<typeof readCifSet> = [];
          try {
            set = readCifSet(path);
          } catch (e) {
            cmd.error(`error: ${flag ? `Cannot read ${flag}: ` : ""}${(e as Error).message}`, { exitCode: 2 });
          }
          if (set.length === 0) {
            const what = flag ? `Cannot read ${flag} ${path}` : `Cannot evaluate ${path}`;
            cmd.error(`error: ${what}: it holds no CIF files (*.cif)`, { exitCode: 2 });
          }
          for (const { name, text } of set) {
            const limit = checkCifSize(text, { maxBytes: opts.maxCifBytes, maxAtoms: opts.maxAtoms });
            if (limit) cmd.error(`error: Cannot evaluate ${name} in ${path}: ${limit}`, { exitCode: 2 });
          }
        };
        readChecked(dir, "");
        if (opts.upstreamFrom) readChecked(opts.upstreamFrom, "--upstream-from");
        // the training set is read (and checked) before any CIF is evaluated
        let train: TrainingSet | undefined;
        try {
          train = opts.train ? loadTrainingSet(opts.train) : undefined;
        } catch (e) {
          cmd.error(`error: Cannot read --train: ${(e as Error).message}`, { exitCode: 2 });
        }
        const t0 = performance.now();
        // uniqueness among valid structures: pymatgen's default StructureMatcher, as upstream
        const matcher = opts.match ? matcherPredicate() : undefined;
        let last = performance.now();
        const onProgress = (done: number, total: number) => {
          // a sign of life every 10 s on long evaluations
          if (performance.now() - last > 10_000) {
            last = performance.now();
            console.error(`evaluated ${done}/${total} CIFs (${((last - t0) / 1000).toFixed(0)} s)`);
          }
        };
        const { rows, metrics } = evaluate(dir, {
          prompt: opts.prompt,
          train,
          matcher,
          onProgress,
          upstreamFrom: opts.upstreamFrom,
        });
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
