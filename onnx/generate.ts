/**
 * Sampling with an exported decoder in onnxruntime-node: the libtorch engine's loop
 * (`GPTImpl::generate` of ffi/gpt.cpp) in TypeScript — batched with a KV cache, finished rows dropped, the window
 * recomputed once a sequence outgrows the block, every sample on its own stream.
 *
 * @module
 */
import { type KvCache, type OnnxDecoder, selectRows } from "./session.ts";
import { drawToken, SampleRng } from "./sampler.ts";

/** Settings of {@linkcode sampleOnnx}; the names of the libtorch engine's `GenerateOptions`. */
export interface OnnxSampleOptions {
  seed: number;
  max_new_tokens: number;
  temperature: number;
  /** 0 = the whole vocabulary. */
  top_k: number;
  /** The newline id: two in a row end a sample; -1 = never stop early. */
  stop_id: number;
  /** Index of the first sample (its stream is (seed, first_index)). */
  first_index: number;
}

/**
 * Sample `n` continuations of a prompt.
 *
 * @param decoder The loaded decoder.
 * @param prompt Prompt ids.
 * @param n Samples (one batch).
 * @param options Seed, length, temperature, top-k, stop id, first sample index.
 * @returns The new tokens of each sample (the prompt excluded).
 * @throws {RangeError} For an empty prompt, n < 1, max_new_tokens < 1 or temperature ≤ 0.
 */
export async function sampleOnnx(
  decoder: OnnxDecoder,
  prompt: ArrayLike<number>,
  n: number,
  options: OnnxSampleOptions,
): Promise<number[][]> {
  const P = prompt.length;
  const { max_new_tokens: maxNew, temperature, top_k, stop_id: stopId } = options;
  if (P < 1 || n < 1 || maxNew < 1) {
    throw new RangeError("prompt length, n and max_new_tokens must be positive");
  }
  if (!(temperature > 0)) throw new RangeError(`temperature must be positive, got ${temperature}`);
  const { block_size: bs, vocab_size: V } = decoder.info.model_args;
  const draw = { temperature, top_k };
  const seqs = Array.from({ length: n }, () => Array.from(prompt));
  const rngs = Array.from({ length: n }, (_, i) => new SampleRng(options.seed, options.first_index + i));
  const outs: number[][] = Array.from({ length: n }, () => []);
  const prev = new Array<number>(n).fill(-1);
  let rows = Array.from({ length: n }, (_, i) => i); // the sample in each batch row

  // upstream crops the context to the last block_size tokens; every row has the same prompt,
  // so it runs once and its cache is tiled
  const P0 = Math.min(P, bs);
  const first = await decoder.step(Array.from(prompt).slice(P - P0), 1, P0, decoder.emptyCache(1));
  const last = first.logits.subarray((P0 - 1) * V, P0 * V);
  let logits: Float32Array = new Float32Array(n * V);
  for (let r = 0; r < n; r++) logits.set(last, r * V);
  let cache: KvCache = selectRows(first.cache, new Array(n).fill(0));

  for (let t = 0; t < maxNew; t++) {
    const nextIds: number[] = [];
    const keep: number[] = [];
    for (let r = 0; r < rows.length; r++) {
      const s = rows[r];
      const tok = drawToken(logits.subarray(r * V, (r + 1) * V), rngs[s], draw);
      outs[s].push(tok);
      seqs[s].push(tok);
      // two newlines end a CIF: upstream's generate appends the second one, then stops
      const stop = stopId >= 0 && prev[s] === stopId && tok === stopId;
      prev[s] = tok;
      if (!stop && outs[s].length < maxNew) {
        keep.push(r);
        nextIds.push(tok);
      }
    }
    if (keep.length === 0) break;
    if (keep.length < rows.length) {
      rows = keep.map((r) => rows[r]);
      if (cache.length < bs) cache = selectRows(cache, keep);
    }
    const B = rows.length;
    if (cache.length < bs) {
      const r = await decoder.step(nextIds, B, 1, cache);
      logits = r.logits;
      cache = r.cache;
    } else {
      // the window slides: positions shift, so the cache is of no use; recompute the last
      // block_size tokens as upstream does at every step
      const window = new Array<number>(B * bs);
      rows.forEach((s, r) => {
        const seq = seqs[s];
        for (let q = 0; q < bs; q++) window[r * bs + q] = seq[seq.length - bs + q];
      });
      const r = await decoder.step(window, B, bs, decoder.emptyCache(B));
      logits = new Float32Array(B * V);
      for (let b = 0; b < B; b++) {
        logits.set(r.logits.subarray((b * bs + bs - 1) * V, (b * bs + bs) * V), b * V);
      }
    }
  }
  return outs;
}
