/**
 * `sample --engine onnx` and `score --engine onnx`: the same files, manifest and results as
 * the libtorch engine, from a model written by `crystallm export onnx`, with no libtorch.
 *
 * @module
 */
import { assertVocabSize, encodeCif, loadTokenizer } from "../data/tokenizer.ts";
import { OnnxDecoder, ortVersion } from "../onnx/session.ts";
import { sampleOnnx } from "../onnx/generate.ts";
import { scoreChunks, type ScoreResult } from "./score.ts";
import {
  type GenerateOptions,
  type GenerateResult,
  resolvePrompt,
  sampleSettings,
  samplingOptions,
  writeSamples,
} from "./generate.ts";
import type { DeviceInfo } from "../ffi/device.ts";

/** Options of {@linkcode generateOnnx}: the libtorch engine's, with `model` for `ckpt`. */
export type OnnxGenerateOptions = Omit<GenerateOptions, "ckpt" | "device" | "dtype"> & {
  /** The `.onnx` file. */
  model: string;
};

/** The ONNX engine runs on the CPU, without libtorch (`libtorch: ""`). */
function deviceInfo(): DeviceInfo {
  return { device: "cpu", libtorch: "", cuda_runtime: "", cuda_driver_supports: null, gpu: null };
}

/**
 * Sample CIFs with the ONNX engine: `sample_<k>.cif` and the report as {@link generate}
 * gives them, plus `engine: "onnx"` and the model file's hash.
 *
 * @param options Model, prompt, output and sampling settings.
 * @returns File names, token counts and throughput.
 * @throws {PromptError} For an unreadable or empty prompt.
 * @throws {OnnxModelError} For a file that is not an exported decoder.
 */
export async function generateOnnx(options: OnnxGenerateOptions): Promise<GenerateResult> {
  const settings = sampleSettings({ ...options, device: "cpu", dtype: "float32" });
  const promptText = await resolvePrompt(options.prompt, options.spacegroup);
  const decoder = await OnnxDecoder.open(options.model);
  try {
    const info = decoder.info;
    assertVocabSize(info.model_args.vocab_size, { source: options.model });
    const tok = loadTokenizer();
    const prompt = encodeCif(promptText, { tokenizer: tok, kind: "prompt" }).ids;
    const stopId = tok.tokenToId("\n");
    if (stopId === undefined) throw new Error("Tokenizer has no newline token");
    const { files, tokens, newTokens, seconds } = await writeSamples(
      options,
      prompt,
      settings,
      (size, first) => sampleOnnx(decoder, prompt, size, samplingOptions(settings, stopId, first)),
    );
    const tokensPerS = newTokens / seconds;
    const manifest = {
      stage: "generate",
      engine: "onnx",
      model: { path: info.path, sha256: info.sha256, opset: info.opset },
      checkpoint: { sha256: info.checkpoint_sha256, iter_num: info.iter_num, model_args: info.model_args },
      prompt: promptText,
      prompt_tokens: prompt.length,
      settings: {
        ...settings,
        stop: "two consecutive newline tokens",
        sample_stream: "xoshiro256**(seed, k-1)",
      },
      onnxruntime: { version: await ortVersion(), package: "onnxruntime-node" },
      device: deviceInfo(),
      samples: files.map((f, i) => ({ file: f, new_tokens: tokens[i] })),
      new_tokens: newTokens,
      seconds,
      tokens_per_s: tokensPerS,
    };
    return { files, tokens, tokens_per_s: tokensPerS, seconds, device_info: deviceInfo(), manifest };
  } finally {
    await decoder.release();
  }
}

/**
 * Mean next-token loss of a token sequence under the ONNX decoder, chunked as
 * {@link scoreIds} chunks it.
 *
 * @param decoder The decoder.
 * @param ids Token ids.
 * @returns Mean loss over all predicted tokens, and their count.
 */
export async function scoreIdsOnnx(
  decoder: OnnxDecoder,
  ids: ArrayLike<number>,
): Promise<{ loss: number; predicted: number }> {
  const { block_size: bs, vocab_size: V } = decoder.info.model_args;
  let sum = 0;
  let count = 0;
  for (const [a, b] of scoreChunks(ids.length, bs)) {
    const T = b - a - 1;
    const x = Array.from({ length: T }, (_, t) => ids[a + t]);
    const { logits } = await decoder.step(x, 1, T, decoder.emptyCache(1));
    for (let t = 0; t < T; t++) {
      // cross-entropy in float64: logsumexp − logit of the target
      const row = logits.subarray(t * V, (t + 1) * V);
      let max = -Infinity;
      for (let i = 0; i < V; i++) max = Math.max(max, row[i]);
      let s = 0;
      for (let i = 0; i < V; i++) s += Math.exp(row[i] - max);
      sum += Math.log(s) + max - row[ids[a + t + 1]];
    }
    count += T;
  }
  return { loss: count > 0 ? sum / count : NaN, predicted: count };
}

/**
 * Score CIF files with the ONNX engine (as {@link score}).
 *
 * @param model The `.onnx` file.
 * @param files CIF files.
 * @param onResult Receives each result as soon as it is ready.
 * @returns One result per file, in order.
 */
export async function scoreOnnx(
  model: string,
  files: string[],
  onResult?: (result: ScoreResult) => void,
): Promise<ScoreResult[]> {
  const decoder = await OnnxDecoder.open(model);
  try {
    assertVocabSize(decoder.info.model_args.vocab_size, { source: model });
    const tok = loadTokenizer();
    const results: ScoreResult[] = [];
    for (const file of files) {
      const { ids } = encodeCif(await Deno.readTextFile(file), { tokenizer: tok });
      const { loss } = await scoreIdsOnnx(decoder, ids);
      const r = { file, tokens: ids.length, loss };
      onResult?.(r);
      results.push(r);
    }
    return results;
  } finally {
    await decoder.release();
  }
}
