/**
 * Sampling CIFs from a checkpoint: upstream CrystaLLM's `bin/sample.py`, batched with a KV
 * cache in libtorch (ffi/), every sample on its own random stream.
 *
 * @module
 */
import {
  loadModel,
  readCheckpoint,
  resolveCheckpointPath,
  writeFileAtomic,
} from "../checkpoint/mod.ts";
import { ABI_VERSION, loadLibrary } from "../ffi/mod.ts";
import { checkDevice, checkDtype, describeDevice, type DeviceInfo } from "../ffi/device.ts";
import { makePrompt, PromptError, promptText } from "./prompt.ts";
export { PromptError };
import { assertVocabSize, encodeCif, loadTokenizer } from "../data/tokenizer.ts";
import { sha256 } from "../core/hash.ts";

/** Sampling settings; names as upstream's sample.py. */
export interface GenerateOptions {
  /** Checkpoint file, or a run directory holding ckpt.pt. */
  ckpt: string;
  /** Prompt text (e.g. `data_Na2Cl2\n`), or `FILE:path` to read it from a file. */
  prompt: string;
  /** Space group added to a composition prompt (upstream `make_prompt_file.py --spacegroup`). */
  spacegroup?: string;
  /** Output directory for sample_<k>.cif. */
  out: string;
  /** Number of samples. @default {1} */
  num_samples?: number;
  /**
   * Index of the first sample (0-based): samples `first_sample … first_sample+num_samples−1` are
   * drawn and written as `sample_<first_sample+1>.cif` …, each on its own stream, so a range is
   * the same files a whole run writes for it (sweep shards). @default {0}
   */
  first_sample?: number;
  /** @default {3000} */
  max_new_tokens?: number;
  /** @default {0.8} */
  temperature?: number;
  /** 0 = off. @default {10} */
  top_k?: number;
  /** @default {1337} */
  seed?: number;
  /** Samples per library call; memory grows with it (KV cache). @default {16} */
  batch?: number;
  /** @default {"cpu"} */
  device?: string;
  /** @default {"float32"} */
  dtype?: "float32" | "bfloat16" | "float16";
  /** Called after each batch with samples done so far. */
  onProgress?: (done: number, total: number, tokensPerS: number) => void;
}

/** What {@linkcode generate} returns. */
export interface GenerateResult {
  files: string[];
  /** New tokens per sample (prompt excluded). */
  tokens: number[];
  tokens_per_s: number;
  seconds: number;
  /** Where it ran: device, libtorch and CUDA versions, the GPU. */
  device_info: DeviceInfo;
  /**
   * The run's report: engine, checkpoint hash, prompt, settings, runtime, per-sample tokens.
   * `crystallm sample` writes it as `manifest.json`; `crystallm run` records it in the stage's manifest.
   */
  manifest: SampleManifest;
}

/** A sampling run's report; the checkpoint's hash is what the runner checks samples against. */
export interface SampleManifest {
  engine: string;
  /** The checkpoint sampled (for the ONNX engine: the one the exported graph was made from). */
  checkpoint: { sha256: string };
  [key: string]: unknown;
}

/** The sampling settings of a run with their defaults: what both engines record in the manifest. */
export function sampleSettings(options: Omit<GenerateOptions, "ckpt" | "prompt" | "out">) {
  return {
    num_samples: options.num_samples ?? 1,
    max_new_tokens: options.max_new_tokens ?? 3000,
    temperature: options.temperature ?? 0.8,
    top_k: options.top_k ?? 10,
    seed: options.seed ?? 1337,
    batch: Math.max(1, options.batch ?? 16),
    device: options.device ?? "cpu",
    dtype: options.dtype ?? "float32",
  };
}

/** The per-batch sampling options both engines take from the resolved settings. */
export function samplingOptions(
  settings: { seed: number; max_new_tokens: number; temperature: number; top_k: number },
  stopId: number,
  first: number,
): { seed: number; max_new_tokens: number; temperature: number; top_k: number; stop_id: number; first_index: number } {
  const { seed, max_new_tokens, temperature, top_k } = settings;
  return { seed, max_new_tokens, temperature, top_k, stop_id: stopId, first_index: first };
}

/**
 * Draw `num_samples` in batches and write `sample_<k>.cif` (prompt + new tokens, decoded) for
 * each: the loop both engines share. `draw(size, first)` returns the new ids of samples
 * `first .. first+size-1`.
 */
export async function writeSamples(
  options: { out: string; first_sample?: number; onProgress?: (done: number, total: number, tokensPerS: number) => void },
  prompt: number[],
  settings: { num_samples: number; batch: number },
  draw: (size: number, first: number) => Promise<number[][]>,
): Promise<{ files: string[]; tokens: number[]; newTokens: number; seconds: number }> {
  const tok = loadTokenizer();
  const n = settings.num_samples, batch = settings.batch;
  const first = options.first_sample ?? 0;
  if (!Number.isInteger(first) || first < 0) throw new RangeError(`first_sample must be an integer >= 0, got ${first}`);
  await Deno.mkdir(options.out, { recursive: true });
  const files: string[] = [];
  const tokens: number[] = [];
  let newTokens = 0;
  const t0 = performance.now();
  for (let done = 0; done < n; done += batch) {
    const size = Math.min(batch, n - done);
    const start = first + done;
    const outs = await draw(size, start);
    for (let i = 0; i < size; i++) {
      const name = `sample_${start + i + 1}.cif`;
      await writeFileAtomic(`${options.out}/${name}`, new TextEncoder().encode(tok.decode([...prompt, ...outs[i]])));
      files.push(name);
      tokens.push(outs[i].length);
      newTokens += outs[i].length;
    }
    options.onProgress?.(done + size, n, newTokens / ((performance.now() - t0) / 1000));
  }
  return { files, tokens, newTokens, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Resolve a `--prompt` argument: `FILE:path` reads the file (used as it is, like upstream's
 * prompt files), text starting with `data_` is used as it is, and a composition with an optional
 * space group (`Na2Cl2`, `BaTiO3 Pm-3m`) becomes upstream's prompt ({@link promptText}).
 *
 * @param prompt The argument.
 * @param spaceGroup A space group to add to a composition prompt (`--spacegroup`).
 * @returns The prompt text.
 * @throws {PromptError} When the file cannot be read, the text is empty, or the composition or
 *   space group is not understood.
 */
export async function resolvePrompt(prompt: string, spaceGroup?: string): Promise<string> {
  let text = prompt;
  if (prompt.startsWith("FILE:")) {
    const path = prompt.slice(5);
    try {
      text = await Deno.readTextFile(path);
    } catch {
      throw new PromptError(`Cannot read prompt file ${path}`);
    }
    if (spaceGroup !== undefined) {
      throw new PromptError("--spacegroup goes with a composition prompt, not FILE:");
    }
  } else if (spaceGroup !== undefined) {
    if (prompt.startsWith("data_")) {
      throw new PromptError("--spacegroup goes with a composition prompt (Na2Cl2), not with data_ text");
    }
    text = makePrompt(prompt.trim(), spaceGroup);
  } else if (prompt.trim().length > 0) text = promptText(prompt);
  if (text.length === 0) throw new PromptError("Cannot sample: the prompt is empty");
  return text;
}

/**
 * Sample CIFs and write `sample_<k>.cif` (k = 1 … n, the prompt included, as upstream
 * writes them), and report the checkpoint hash, settings and tokens/s (`manifest`).
 * Sample k uses the random stream (seed, k−1), so it does not depend on `batch`.
 *
 * @param options Checkpoint, prompt, output and sampling settings.
 * @returns File names, token counts and throughput.
 * @throws {PromptError} For an unreadable or empty prompt.
 * @throws {CheckpointError} For an unreadable checkpoint or a vocab_size other than the tokenizer's.
 *
 * @example Two samples
 * ```ts ignore
 * import { generate } from "./mod.ts";
 * await generate({ ckpt: "runs/base", prompt: "data_Na2Cl2\n", out: "out/samples", num_samples: 2 });
 * ```
 */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const promptText = await resolvePrompt(options.prompt, options.spacegroup);
  using sampler = await openSampler(options);
  return await sampler.sample({ ...options, prompt: promptText });
}

/** The settings a {@linkcode Sampler} is opened with (everything but the prompt and the output). */
export type SamplerOptions = Omit<GenerateOptions, "prompt" | "spacegroup" | "out" | "num_samples" | "first_sample" | "onProgress">;

/** One prompt's sampling with an open {@linkcode Sampler}. */
export interface SamplerRequest {
  /** Prompt text as sampled (already resolved: `data_…\n`). */
  prompt: string;
  out: string;
  num_samples?: number;
  first_sample?: number;
  onProgress?: GenerateOptions["onProgress"];
}

/** A checkpoint read, hashed and loaded once, sampled for many prompts (the CSP benchmark's compositions). */
export interface Sampler extends Disposable {
  /** sha256 of the checkpoint file. */
  checkpointSha: string;
  /** Sample one prompt as {@linkcode generate} does (same files, same streams, same report). */
  sample(request: SamplerRequest): Promise<GenerateResult>;
}

/**
 * Open a checkpoint for sampling many prompts: the library, device and checkpoint are checked
 * and the model loaded once; each {@linkcode Sampler.sample} call then writes one prompt's
 * samples exactly as {@linkcode generate} would.
 *
 * @param options Checkpoint and sampling settings.
 * @returns The sampler; dispose it (`using`) to free the model.
 * @throws {CheckpointError} For an unreadable checkpoint or a vocab_size other than the tokenizer's.
 */
export async function openSampler(options: SamplerOptions): Promise<Sampler> {
  const settings = sampleSettings(options);
  const runtime = loadLibrary();
  checkDevice(settings.device, runtime);
  checkDtype(settings.device, settings.dtype);
  const ckptPath = await resolveCheckpointPath(options.ckpt);
  const ckptBytes = await Deno.readFile(ckptPath);
  const ckptSha = sha256(ckptBytes);
  const ckpt = await readCheckpoint(ckptPath);
  const tok = loadTokenizer();
  assertVocabSize(ckpt.model_args.vocab_size, { source: ckptPath });
  const stopId = tok.tokenToId("\n");
  if (stopId === undefined) throw new Error("Tokenizer has no newline token");
  // the checkpoint is checked (shapes, finite weights) before anything is written
  const model = loadModel(ckpt, { device: settings.device, dtype: settings.dtype, onNotice: () => {}, source: ckptPath });
  const deviceInfo = describeDevice(settings.device, runtime);
  return {
    checkpointSha: ckptSha,
    [Symbol.dispose]: () => model[Symbol.dispose](),
    async sample(request: SamplerRequest): Promise<GenerateResult> {
      const run = { ...settings, num_samples: request.num_samples ?? 1 };
      const prompt = encodeCif(request.prompt, { tokenizer: tok, kind: "prompt" }).ids;
      const { files, tokens, newTokens, seconds } = await writeSamples(
        request,
        prompt,
        run,
        (size, first) => model.generate(prompt, size, samplingOptions(run, stopId, first)),
      );
      const tokensPerS = newTokens / seconds;
      const manifest = {
        stage: "generate",
        engine: "libtorch",
        abi_version: ABI_VERSION,
        checkpoint: { path: ckptPath, sha256: ckptSha, iter_num: ckpt.iter_num, model_args: ckpt.model_args },
        prompt: request.prompt,
        prompt_tokens: prompt.length,
        ...(request.first_sample ? { first_sample: request.first_sample } : {}),
        settings: {
          ...run,
          stop: "two consecutive newline tokens",
          sample_stream: "xoshiro256**(seed, k-1)",
        },
        libtorch: {
          version: runtime.torch_version,
          sdpa: runtime.sdpa,
          cpu_kernels: runtime.cpu_kernels,
          threads: runtime.num_threads,
        },
        device: deviceInfo,
        samples: files.map((f, i) => ({ file: f, new_tokens: tokens[i] })),
        new_tokens: newTokens,
        seconds,
        tokens_per_s: tokensPerS,
      };
      return { files, tokens, tokens_per_s: tokensPerS, seconds, device_info: deviceInfo, manifest };
    },
  };
}
