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
import { generate } from "../sample/generate.ts";

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

/**
 * The `sample.n` generations of one test composition, written `<id>__<k>.cif` into `out` (as
 * upstream's generate_cifs.py names them); the same for a run and for a sweep's shard.
 *
 * @returns New tokens and seconds.
 */
export async function generateForComposition(
  sample: CompositionSampling,
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
    num_samples: sample.n,
    max_new_tokens: sample.max_new_tokens,
    temperature: sample.temperature,
    top_k: sample.top_k,
    seed: sample.seed,
    batch: sample.batch,
    device: sample.device,
    ...(sample.dtype ? { dtype: sample.dtype } : {}),
  });
  const files = r.files.map((f, i) => {
    const name = `${id}__${i + 1}.cif`;
    Deno.renameSync(join(tmp, f), join(out, name));
    return name;
  });
  await Deno.remove(tmp, { recursive: true });
  return { files, tokens: r.tokens.reduce((a, b) => a + b, 0), seconds: r.seconds };
}
