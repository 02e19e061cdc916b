/**
 * CrystaLLM's crystal-structure-prediction (CSP) benchmark as stages of an experiment: for each
 * test composition of a CDVAE benchmark CSV (perov_5, carbon_24), `n` generations prompted with
 * the composition's cell formula, as upstream makes them (`prepare_csv_benchmark.py`:
 * `CifWriter(symprec=0.1)`, then `preprocess.py`'s `data_<formula>` line, then
 * `make_prompts.py`'s first line), written `<material_id>__<k>.cif`, post-processed, and
 * scored by `benchmark_metrics.py`'s match rate and RMS at n = 1 and n = `sample.n`
 * (`crystallm match benchmark`). The stages themselves are run/benchmark.ts.
 *
 * @module
 */
import { join } from "node:path";
import { readCifSet } from "../cif/cif_set.ts";
import { cifWriterSymmetrize } from "../data/symmetrize_step.ts";
import { extractFormulaNonreduced } from "../data/preprocess.ts";
import { openSampler } from "../sample/generate.ts";

/** The sampling settings of an experiment (its `sample:` section) that the generations use. */
export interface CompositionSampling {
  n: number;
  max_new_tokens: number;
  temperature: number;
  top_k: number;
  seed: number;
  batch?: number;
  device?: string;
  dtype?: "float32" | "bfloat16" | "float16";
}

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

/** What {@linkcode generateCompositions} did for one composition. */
export interface CompositionResult {
  id: string;
  /** `<id>__<k>.cif`, k = 1 … n. */
  files: string[];
  /** New tokens over its generations. */
  tokens: number;
  /** Seconds spent sampling it. */
  seconds: number;
}

/**
 * The `sample.n` generations of each test composition, written `<id>__<k>.cif` into `out` (as
 * upstream's generate_cifs.py names them); the same for a run and for a sweep's shard. The
 * checkpoint is read and loaded once for all of them.
 *
 * @param sample The experiment's sampling settings.
 * @param ckpt The checkpoint.
 * @param items Compositions: material id and prompt.
 * @param out Output folder.
 * @param onComposition Called after each composition (progress, hashing).
 * @returns One result per composition, in order.
 */
export async function generateCompositions(
  sample: CompositionSampling,
  ckpt: string,
  items: { id: string; prompt: string }[],
  out: string,
  onComposition?: (done: number, total: number, r: CompositionResult) => void | Promise<void>,
): Promise<CompositionResult[]> {
  using sampler = await openSampler({
    ckpt,
    max_new_tokens: sample.max_new_tokens,
    temperature: sample.temperature,
    top_k: sample.top_k,
    seed: sample.seed,
    batch: sample.batch,
    device: sample.device,
    ...(sample.dtype ? { dtype: sample.dtype } : {}),
  });
  const results: CompositionResult[] = [];
  for (const { id, prompt } of items) {
    const tmp = join(out, `.gen-${id}`);
    const r = await sampler.sample({ prompt, out: tmp, num_samples: sample.n });
    const files = r.files.map((f, i) => {
      const name = `${id}__${i + 1}.cif`;
      Deno.renameSync(join(tmp, f), join(out, name));
      return name;
    });
    await Deno.remove(tmp, { recursive: true });
    const done: CompositionResult = { id, files, tokens: r.tokens.reduce((a, b) => a + b, 0), seconds: r.seconds };
    results.push(done);
    await onComposition?.(results.length, items.length, done);
  }
  return results;
}
