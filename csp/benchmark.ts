/**
 * CrystaLLM's crystal-structure-prediction (CSP) benchmark as stages of an experiment: for each
 * test composition of a CDVAE benchmark CSV (perov_5, carbon_24), `n` generations prompted with
 * the composition's cell formula, as upstream makes them (`prepare_csv_benchmark.py`:
 * `CifWriter(symprec=0.1)`, then `preprocess.py`'s `data_<formula>` line, then
 * `make_prompts.py`'s first line), written `<material_id>__<k>.cif`, post-processed, and
 * scored by `benchmark_metrics.py`'s match rate and RMS at n = 1 and n = `sample.n`
 * (`crystallm match benchmark`).
 *
 * @module
 */
import { join } from "node:path";
import { readCifSet } from "../cif/cif_set.ts";
import { cifWriterSymmetrize } from "../dataset/symmetrize_step.ts";
import { extractFormulaNonreduced } from "../dataset/preprocess.ts";
import { generate } from "../generate/generate.ts";
import { postprocessDir } from "../postprocess/postprocess_dir.ts";
import { benchmarkMetricsFromFiles, writeBenchmarkReport } from "../match/benchmark_metrics.ts";
import { runStage, type StageManifest, type StageOptions } from "../run/stage.ts";
import type { ExperimentSpec } from "../run/experiment.ts";
import type { BenchmarkSpec } from "./spec.ts";

/**
 * Upstream's prompt for each test structure: the `data_` line of its preprocessed
 * `CifWriter(symprec=0.1)` CIF, i.e. `data_` and the symmetrized cell's formula.
 *
 * @param testCsv The benchmark CSV.
 * @param limit Only the first `limit` rows.
 * @returns `material_id` and prompt per row, in file order.
 */
export function benchmarkPrompts(testCsv: string, limit: number | null): { id: string; prompt: string }[] {
  const rows = readCifSet(testCsv);
  const symmetrize = cifWriterSymmetrize(0.1);
  return rows.slice(0, limit ?? rows.length).map((r) => {
    const id = r.name.replace(/\.cif$/i, "");
    const formula = extractFormulaNonreduced(symmetrize(r.text, `${testCsv}:${id}`));
    if (!formula) throw new Error(`${testCsv}: material ${id} has no _chemical_formula_sum after CifWriter`);
    return { id, prompt: `data_${formula.replace(/\s+/g, "")}\n` };
  });
}

/**
 * The `sample.n` generations of one test composition, written `<id>__<k>.cif` into `out` (as
 * upstream's generate_cifs.py names them); the same for a run and for a sweep's shard.
 *
 * @returns New tokens and seconds.
 */
export async function generateForComposition(
  spec: ExperimentSpec,
  ckpt: string,
  id: string,
  prompt: string,
  out: string,
): Promise<{ files: string[]; tokens: number; seconds: number }> {
  const tmp = join(out, `.gen-${id}`);
  const r = await generate({
    ckpt,
    prompt,
    out: tmp,
    num_samples: spec.sample.n,
    max_new_tokens: spec.sample.max_new_tokens,
    temperature: spec.sample.temperature,
    top_k: spec.sample.top_k,
    seed: spec.sample.seed,
    batch: spec.sample.batch,
    device: spec.sample.device,
    ...(spec.sample.dtype ? { dtype: spec.sample.dtype } : {}),
  });
  const files = r.files.map((f, i) => {
    const name = `${id}__${i + 1}.cif`;
    Deno.renameSync(join(tmp, f), join(out, name));
    return name;
  });
  await Deno.remove(tmp, { recursive: true });
  return { files, tokens: r.tokens.reduce((a, b) => a + b, 0), seconds: r.seconds };
}

/**
 * Run the benchmark stages of one model: `csp/<model>/raw` (generations), `processed`,
 * `metrics` (match rate and RMS).
 *
 * @returns Flat metrics `<model>/csp/n<k>/match_rate`, `…/rms_dist`, `…/n` (IDs scored) for k = 1, n.
 */
export async function runBenchmarkStages(
  spec: ExperimentSpec & { benchmark: BenchmarkSpec },
  ctx: {
    dir: string;
    model: string;
    checkpoint: { path: string; sha256: string };
    testCsv: string;
    stageOpts: StageOptions;
    note: (m: { manifest: StageManifest; skipped: boolean }) => void;
    /** Fill the generations' stage folder from elsewhere (a sweep's merge); returns its outputs. */
    fillRaw?: (model: string, out: string) => Promise<Record<string, unknown>>;
  },
): Promise<Record<string, number | null>> {
  const { model, checkpoint, testCsv, stageOpts, note } = ctx;
  const base = join(ctx.dir, "csp", model);
  const n = spec.sample.n;
  const raw = join(base, "raw"), processed = join(base, "processed"), scored = join(base, "metrics");
  note(
    await runStage(`csp/${model}/raw`, raw, {
      params: { ...spec.sample, temperatures: undefined, limit: spec.benchmark.limit },
      inputs: { checkpoint: checkpoint.path, test: testCsv },
      code: ["generate", "ffi", "checkpoint", "pickle", "dataset", "symmetry", "cif", "csp"],
    }, async (out) => {
      if (ctx.fillRaw) return await ctx.fillRaw(model, out);
      const prompts = benchmarkPrompts(testCsv, spec.benchmark.limit);
      let tokens = 0, seconds = 0;
      for (const { id, prompt } of prompts) {
        const r = await generateForComposition(spec, checkpoint.path, id, prompt, out);
        tokens += r.tokens;
        seconds += r.seconds;
      }
      return {
        ids: prompts.length,
        files: prompts.length * n,
        tokens_per_s: seconds > 0 ? tokens / seconds : 0,
        checkpoint_sha256: checkpoint.sha256,
      };
    }, stageOpts),
  );
  note(
    await runStage(`csp/${model}/processed`, processed, {
      params: {},
      inputs: { raw },
      code: ["postprocess", "symmetry", "cif"],
    }, (out) => {
      const r = postprocessDir(raw, out, { onFailure: () => {} });
      return { n_files: r.n_files, n_failures: r.n_failures };
    }, stageOpts),
  );
  // the stage folder's manifest.json is not a generation
  const res = await runStage(`csp/${model}/metrics`, scored, {
    params: { ns: [1, n], validity: "upstream" },
    inputs: { processed, test: testCsv },
    code: ["match", "cif", "symmetry", "csp"],
  }, (out) => {
    const gen = join(out, ".gen");
    Deno.mkdirSync(gen);
    for (const e of Deno.readDirSync(processed)) {
      if (e.name.endsWith(".cif")) Deno.copyFileSync(join(processed, e.name), join(gen, e.name));
    }
    const report = benchmarkMetricsFromFiles(gen, testCsv, { ns: [...new Set([1, n])] });
    Deno.removeSync(gen, { recursive: true });
    writeBenchmarkReport(report, out, "benchmark.json");
    return { metrics: report.metrics, warnings: report.warnings, ground_truth: report.ground_truth };
  }, stageOpts);
  note(res);
  const metrics: Record<string, number | null> = {};
  for (
    const m of res.manifest.outputs.metrics as {
      n: number;
      match_rate: number;
      rms_dist: number | null;
      n_ids: number;
    }[]
  ) {
    // `<model>/csp/n<k>/…`: match rate and mean RMS over the first k generations; n: IDs scored
    metrics[`${model}/csp/n${m.n}/match_rate`] = m.match_rate;
    metrics[`${model}/csp/n${m.n}/rms_dist`] = m.rms_dist;
    metrics[`${model}/csp/n${m.n}/n`] = m.n_ids;
  }
  return metrics;
}
