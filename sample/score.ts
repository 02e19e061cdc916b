/**
 * Scoring CIFs: the mean next-token cross-entropy of a CIF's tokens under a model, for
 * ranking candidates.
 *
 * @module
 */
import { loadModel, readCheckpoint, resolveCheckpointPath } from "../checkpoint/mod.ts";
import { loadLibrary, type Model } from "../ffi/mod.ts";
import { checkDevice, checkDtype } from "../ffi/device.ts";
import { assertVocabSize, encodeCif, loadTokenizer } from "../data/tokenizer.ts";

/** One scored file: a line of `crystallm score`. */
export interface ScoreResult {
  file: string;
  /** Number of token ids in the CIF. */
  tokens: number;
  /** Mean cross-entropy (nats) over the predicted tokens (tokens − 1); NaN below 2 tokens. */
  loss: number;
}

/**
 * The chunks a CIF is scored in: with block size B, `ids[k*B : k*B+B+1]` for k = 0, 1, … while
 * `k*B+1 < len`; each chunk predicts its own next tokens.
 *
 * @param length Number of ids.
 * @param blockSize The model's block size B.
 * @returns `[start, end)` index pairs.
 *
 * @example Three chunks
 * ```ts
 * import { scoreChunks } from "./score.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(scoreChunks(10, 4), [[0, 5], [4, 9], [8, 10]]);
 * ```
 */
export function scoreChunks(length: number, blockSize: number): [number, number][] {
  const out: [number, number][] = [];
  for (let k = 0; k * blockSize + 1 < length; k++) {
    out.push([k * blockSize, Math.min(length, k * blockSize + blockSize + 1)]);
  }
  return out;
}

/**
 * Mean next-token loss of a token sequence, chunked by {@linkcode scoreChunks}.
 *
 * @param model The model.
 * @param ids Token ids.
 * @returns Mean loss over all predicted tokens, and their count.
 *
 * @example Score ids
 * ```ts ignore
 * const { loss } = await scoreIds(model, [124, 54, 90, 5, 90, 142]);
 * ```
 */
export async function scoreIds(
  model: Model,
  ids: ArrayLike<number>,
): Promise<{ loss: number; predicted: number }> {
  let sum = 0;
  let count = 0;
  for (const [a, b] of scoreChunks(ids.length, model.config.block_size)) {
    const T = b - a - 1;
    const x = new Int32Array(T);
    const y = new Int32Array(T);
    for (let t = 0; t < T; t++) {
      x[t] = ids[a + t];
      y[t] = ids[a + t + 1];
    }
    const { loss } = await model.forward(x, 1, T, { targets: y, logits: false });
    sum += loss * T; // the library returns the chunk's mean
    count += T;
  }
  return { loss: count > 0 ? sum / count : NaN, predicted: count };
}

/** Options for {@linkcode score}. */
export interface ScoreOptions {
  /** `cpu`, `cuda` or `cuda:N`. @default {"cpu"} */
  device?: string;
  /** Autocast dtype. @default {"float32"} */
  dtype?: "float32" | "bfloat16" | "float16";
  /** Receives each result as soon as it is ready (the CLI prints JSON lines). */
  onResult?: (result: ScoreResult) => void;
}

/**
 * Score CIF files under a checkpoint: tokenize each file's text as it is (upstream's
 * tokenizer, no line filter), then {@linkcode scoreIds}.
 *
 * @param ckpt Checkpoint file or run directory.
 * @param files CIF files.
 * @param options Device and a per-result callback.
 * @returns One result per file, in order.
 * @throws {CheckpointError} For an unreadable checkpoint or a vocab_size other than the tokenizer's.
 *
 * @example Rank two candidates
 * ```ts ignore
 * import { score } from "./mod.ts";
 * const [a, b] = await score("runs/base", ["a.cif", "b.cif"]);
 * ```
 */
export async function score(
  ckpt: string,
  files: string[],
  options: ScoreOptions = {},
): Promise<ScoreResult[]> {
  checkDevice(options.device ?? "cpu", loadLibrary());
  checkDtype(options.device ?? "cpu", options.dtype);
  const path = await resolveCheckpointPath(ckpt);
  const checkpoint = await readCheckpoint(path);
  assertVocabSize(checkpoint.model_args.vocab_size, { source: path });
  const tok = loadTokenizer();
  using model = loadModel(checkpoint, { device: options.device ?? "cpu", dtype: options.dtype, onNotice: () => {}, source: path });
  const results: ScoreResult[] = [];
  for (const file of files) {
    // the same ids `data tokenize` gives (upstream's tokenize_cifs.py line filter included)
    const { ids } = encodeCif(await Deno.readTextFile(file), { tokenizer: tok });
    const { loss } = await scoreIds(model, ids);
    const r = { file, tokens: ids.length, loss };
    options.onResult?.(r);
    results.push(r);
  }
  return results;
}
