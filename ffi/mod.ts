/**
 * The CrystaLLM GPT in libtorch, called through Deno FFI. This is the only file that calls
 * `Deno.dlopen`; the C++ of `ffi/` (the GPT in `gpt.cpp`) does the tensor work behind the C ABI
 * of `crystallm.h` (`capi.cpp`).
 *
 * ```ts ignore
 * import { createModel } from "./mod.ts";
 * using model = createModel({ n_layer: 2, n_head: 2, n_embd: 64, block_size: 128, vocab_size: 371 });
 * const { loss } = await model.forward(new Int32Array([1, 2, 3]), 1, 3, { targets: new Int32Array([2, 3, -1]) });
 * console.log(loss);
 * ```
 *
 * Build the library first with `deno task build:ffi` (ffi/build.ts).
 *
 * @module
 */

/** The C ABI version this file speaks (CLLM_ABI_VERSION of crystallm.h). */
export const ABI_VERSION = 2;

/** Status codes of crystallm.h. */
export const Status = {
  OK: 0,
  ARGUMENT: 1,
  STATE: 2,
  TORCH: 3,
  INTERNAL: 4,
} as const;

/** A non-zero status from the library, with the library's message. */
export class FfiError extends Error {
  /** The status code (see {@linkcode Status}). */
  readonly status: number;
  /** The C function that failed, e.g. `cllm_forward`. */
  readonly fn: string;
  /**
   * @param status Status code.
   * @param fn C function name.
   * @param message The library's message.
   */
  constructor(status: number, fn: string, message: string) {
    super(`${fn} failed (status ${status}): ${message}`);
    this.name = "FfiError";
    this.status = status;
    this.fn = fn;
  }
}

const SYMBOLS = {
  cllm_abi_version: { parameters: [], result: "i32" },
  cllm_runtime_info: { parameters: ["buffer", "i64"], result: "i32" },
  cllm_set_num_threads: { parameters: ["i32"], result: "i32" },
  cllm_model_new: { parameters: ["buffer", "buffer"], result: "i32" },
  cllm_model_free: { parameters: ["pointer"], result: "void" },
  cllm_last_error: { parameters: ["pointer"], result: "pointer" },
  cllm_tensor_count: { parameters: ["pointer", "buffer"], result: "i32" },
  cllm_tensor_info: { parameters: ["pointer", "i32", "buffer", "i64", "buffer", "buffer"], result: "i32" },
  cllm_tensor_read: { parameters: ["pointer", "buffer", "buffer", "i64"], result: "i32" },
  cllm_tensor_write: { parameters: ["pointer", "buffer", "buffer", "i64"], result: "i32" },
  cllm_forward: {
    parameters: ["pointer", "buffer", "buffer", "i64", "i64", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  cllm_optimizer_new: { parameters: ["pointer", "buffer"], result: "i32" },
  cllm_train_step: {
    parameters: ["pointer", "buffer", "buffer", "i64", "i64", "i64", "f32", "f32", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  cllm_train_flush: {
    parameters: ["pointer", "buffer", "buffer", "i64", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  cllm_generate: {
    parameters: ["pointer", "buffer", "i64", "i64", "i64", "buffer", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** What the loaded libtorch reports (cllm_runtime_info). */
export interface RuntimeInfo {
  torch_version: string;
  cuda_available: boolean;
  cuda_device_count: number;
  /** CUDA toolkit version libtorch was built with (`""` for a CPU build). */
  cuda_version: string;
  num_threads: number;
  cxx11_abi: number;
  sdpa: string;
  /**
   * Fused CPU kernels (ffi/kernels.cpp) used for CPU float32 work: `avx2`; `off` under
   * CRYSTALLM_CPU_KERNELS=off; `unavailable` on a CPU without AVX2/FMA or off x86-64.
   */
  cpu_kernels: string;
  /** Path of the loaded library. */
  library: string;
}

/** Options for {@linkcode loadLibrary}. */
export interface LoadOptions {
  /**
   * Path of libcrystallm.so.
   * @default {$CRYSTALLM_LIB or ffi/build/libcrystallm.so}
   */
  path?: string;
  /**
   * Intra-op threads. libtorch defaults to 1 on this kind of machine, so set it explicitly.
   * @default {$CRYSTALLM_NUM_THREADS or navigator.hardwareConcurrency}
   */
  numThreads?: number;
}

let loaded: { lib: Lib; path: string } | undefined;
const utf8 = new TextEncoder();

function cstr(s: string): Uint8Array<ArrayBuffer> {
  return utf8.encode(s + "\0") as Uint8Array<ArrayBuffer>;
}

/** Default path of the built library. */
export function defaultLibraryPath(): string {
  return Deno.env.get("CRYSTALLM_LIB") ??
    new URL(`./build/libcrystallm.${Deno.build.os === "darwin" ? "dylib" : "so"}`, import.meta.url).pathname;
}

/**
 * Load libcrystallm once per process, check its ABI version and set the thread count.
 *
 * @param options Library path and thread count.
 * @returns Runtime information of the loaded libtorch.
 * @throws {Error} When the library is missing (hint: `deno task build:ffi`) or its ABI
 *   version differs.
 *
 * @example Print the libtorch version
 * ```ts ignore
 * import { loadLibrary } from "./mod.ts";
 * console.log(loadLibrary().torch_version);
 * ```
 */
export function loadLibrary(options: LoadOptions = {}): RuntimeInfo {
  if (!loaded) {
    const path = options.path ?? defaultLibraryPath();
    try {
      Deno.statSync(path);
    } catch {
      throw new Error(`Cannot load libcrystallm: ${path} not found; build it with \`deno task build:ffi\``);
    }
    // OpenMP spin-waiting fights OpenBLAS's threads; libgomp reads this at load
    if (!Deno.env.get("OMP_WAIT_POLICY")) Deno.env.set("OMP_WAIT_POLICY", "PASSIVE");
    const lib = Deno.dlopen(path, SYMBOLS).symbols;
    const abi = lib.cllm_abi_version();
    if (abi !== ABI_VERSION) {
      throw new Error(
        `Cannot load libcrystallm: ABI version ${abi}, expected ${ABI_VERSION}; rebuild with \`deno task build:ffi\``,
      );
    }
    loaded = { lib, path };
    const threads = options.numThreads ?? Number(Deno.env.get("CRYSTALLM_NUM_THREADS") ?? 0) ??
      0;
    setNumThreads(threads > 0 ? threads : navigator.hardwareConcurrency);
  } else if (options.numThreads) {
    setNumThreads(options.numThreads);
  }
  return runtimeInfo();
}

function lib(): Lib {
  if (!loaded) loadLibrary();
  return loaded!.lib;
}

function globalError(): string {
  const p = lib().cllm_last_error(null);
  return p ? new Deno.UnsafePointerView(p).getCString() : "";
}

/**
 * Set libtorch's intra-op thread count for every later call.
 *
 * @param n Threads, at least 1.
 * @throws {FfiError} When n is not positive.
 */
export function setNumThreads(n: number): void {
  const status = lib().cllm_set_num_threads(n);
  if (status !== 0) throw new FfiError(status, "cllm_set_num_threads", globalError());
}

/**
 * Runtime information of the loaded library.
 *
 * @returns libtorch version, CUDA availability, threads, C++ ABI flag, attention kernel.
 */
export function runtimeInfo(): RuntimeInfo {
  const buf = new Uint8Array(1024);
  const status = lib().cllm_runtime_info(buf, BigInt(buf.length));
  if (status !== 0) throw new FfiError(status, "cllm_runtime_info", globalError());
  const text = new TextDecoder().decode(buf.subarray(0, buf.indexOf(0)));
  return { ...JSON.parse(text), library: loaded!.path };
}

/** Model hyperparameters: upstream's `model_args` plus where and how to run. */
export interface ModelConfig {
  n_layer: number;
  n_head: number;
  n_embd: number;
  block_size: number;
  vocab_size: number;
  /** @default {true} */
  bias?: boolean;
  /** @default {0} */
  dropout?: number;
  /** `cpu`, `cuda` or `cuda:N`. @default {"cpu"} */
  device?: string;
  /** Autocast dtype. @default {"float32"} */
  dtype?: "float32" | "bfloat16" | "float16";
  /** Seed for initialisation and dropout. @default {1337} */
  seed?: number;
  /**
   * float32 matmuls on TF32 tensor cores (CUDA only), as upstream's train.py and sample.py;
   * `false` for full float32 (parity checks). @default {true}
   */
  tf32?: boolean;
}

/** AdamW settings; upstream's config keys. */
export interface OptimizerConfig {
  /** @default {0.1} */
  weight_decay?: number;
  /** @default {0.9} */
  beta1?: number;
  /** @default {0.95} */
  beta2?: number;
  /** @default {1e-8} */
  eps?: number;
}

/** Sampling settings. */
export interface GenerateOptions {
  /** @default {1337} */
  seed?: number;
  /** @default {1000} */
  max_new_tokens?: number;
  /** @default {1} */
  temperature?: number;
  /** 0 = off. @default {0} */
  top_k?: number;
  /** Stop a sequence after two consecutive `stop_id` tokens (a blank line, kept); -1 = off. @default {-1} */
  stop_id?: number;
  /** Index of the first sample, so that sample k's stream is (seed, k). @default {0} */
  first_index?: number;
}

/** A named tensor's name and shape. */
export interface TensorInfo {
  name: string;
  shape: number[];
}

/**
 * A GPT on libtorch. Free it with `using` or {@linkcode Model.dispose}.
 */
export class Model {
  #ptr: Deno.PointerValue;
  /** The config it was built with. */
  readonly config: Readonly<ModelConfig>;

  /** @internal use {@linkcode createModel}. */
  constructor(ptr: Deno.PointerValue, config: ModelConfig) {
    this.#ptr = ptr;
    this.config = config;
  }

  #check(status: number, fn: string): void {
    if (status === 0) return;
    const p = lib().cllm_last_error(this.#ptr);
    throw new FfiError(status, fn, p ? new Deno.UnsafePointerView(p).getCString() : "");
  }

  #handle(): Deno.PointerValue {
    if (this.#ptr === null) throw new Error("Cannot use model: already disposed");
    return this.#ptr;
  }

  /**
   * Names and shapes of every tensor: parameters, then optimizer state if any.
   *
   * @returns One entry per tensor, in named_parameters() order.
   */
  tensors(): TensorInfo[] {
    const h = this.#handle();
    const count = new Int32Array(1);
    this.#check(lib().cllm_tensor_count(h, count), "cllm_tensor_count");
    const out: TensorInfo[] = [];
    const name = new Uint8Array(512);
    const shape = new BigInt64Array(8);
    const ndim = new Int32Array(1);
    for (let i = 0; i < count[0]; i++) {
      this.#check(lib().cllm_tensor_info(h, i, name, BigInt(name.length), shape, ndim), "cllm_tensor_info");
      out.push({
        name: new TextDecoder().decode(name.subarray(0, name.indexOf(0))),
        shape: Array.from(shape.subarray(0, ndim[0]), Number),
      });
    }
    return out;
  }

  /**
   * Copy a tensor out as float32.
   *
   * @param name Tensor name, e.g. `transformer.wte.weight` or `exp_avg/transformer.wte.weight`.
   * @param numel Number of values.
   * @returns The values, row-major.
   * @throws {FfiError} For an unknown name or a size mismatch.
   */
  read(name: string, numel: number): Float32Array {
    const out = new Float32Array(numel);
    this.#check(lib().cllm_tensor_read(this.#handle(), cstr(name), out, BigInt(numel)), "cllm_tensor_read");
    return out;
  }

  /**
   * Overwrite a tensor.
   *
   * @param name Tensor name.
   * @param data Row-major float32 values, as many as the tensor holds.
   * @throws {FfiError} For an unknown name or a size mismatch.
   */
  write(name: string, data: Float32Array): void {
    this.#check(
      lib().cllm_tensor_write(
        this.#handle(),
        cstr(name),
        data as Float32Array<ArrayBuffer>,
        BigInt(data.length),
      ),
      "cllm_tensor_write",
    );
  }

  /**
   * Evaluation forward pass (no grad, dropout off).
   *
   * @param idx Token ids (B, T).
   * @param B Batch size.
   * @param T Sequence length.
   * @param options `targets` (B, T) with -1 for ignored positions; `logits: false` skips
   *   copying logits out.
   * @returns `loss` (NaN without targets) and `logits` (B, T, V) unless turned off.
   * @throws {FfiError} On size errors or libtorch failures.
   */
  async forward(
    idx: Int32Array,
    B: number,
    T: number,
    options: { targets?: Int32Array; logits?: boolean } = {},
  ): Promise<{ loss: number; logits?: Float32Array }> {
    if (idx.length !== B * T) {
      throw new RangeError(`Cannot forward: idx holds ${idx.length} ids, B*T is ${B * T}`);
    }
    if (options.targets && options.targets.length !== B * T) {
      throw new RangeError(`Cannot forward: targets hold ${options.targets.length} ids, B*T is ${B * T}`);
    }
    const logits = options.logits === false ? null : new Float32Array(B * T * this.config.vocab_size);
    const loss = new Float32Array(1);
    const status = await lib().cllm_forward(
      this.#handle(),
      idx as Int32Array<ArrayBuffer>,
      (options.targets ?? null) as Int32Array<ArrayBuffer> | null,
      BigInt(B),
      BigInt(T),
      logits,
      loss,
    );
    this.#check(status, "cllm_forward");
    return logits ? { loss: loss[0], logits } : { loss: loss[0] };
  }

  /**
   * Create (or reset to zeros) AdamW state.
   *
   * @param options AdamW settings.
   */
  createOptimizer(options: OptimizerConfig = {}): void {
    this.#check(
      lib().cllm_optimizer_new(this.#handle(), cstr(JSON.stringify(options))),
      "cllm_optimizer_new",
    );
  }

  /**
   * One optimizer step over `micro` accumulated micro-batches.
   *
   * @param x Inputs (micro, B, T).
   * @param y Targets (micro, B, T).
   * @param shape `{ micro, B, T, lr, grad_clip }`; grad_clip 0 disables clipping.
   * @returns Mean micro-batch loss and the gradient norm before clipping.
   * @throws {FfiError} Without optimizer state, or on libtorch failures.
   */
  async trainStep(
    x: Int32Array,
    y: Int32Array,
    shape: { micro: number; B: number; T: number; lr: number; grad_clip: number },
  ): Promise<{ loss: number; gradNorm: number }> {
    const loss = new Float32Array(1);
    const norm = new Float32Array(1);
    await this.#step(x, y, shape, loss, norm);
    return { loss: loss[0], gradNorm: norm[0] };
  }

  /**
   * One optimizer step that reads nothing back: on CUDA the host never waits for the GPU.
   * The step's loss and gradient norm are kept for {@linkcode Model.flushTrainStats}.
   *
   * @param x Inputs (micro, B, T).
   * @param y Targets (micro, B, T).
   * @param shape `{ micro, B, T, lr, grad_clip }`.
   * @throws {FfiError} Without optimizer state, or on libtorch failures.
   */
  async trainStepAsync(
    x: Int32Array,
    y: Int32Array,
    shape: { micro: number; B: number; T: number; lr: number; grad_clip: number },
  ): Promise<void> {
    await this.#step(x, y, shape, null, null);
  }

  async #step(
    x: Int32Array,
    y: Int32Array,
    shape: { micro: number; B: number; T: number; lr: number; grad_clip: number },
    loss: Float32Array | null,
    norm: Float32Array | null,
  ): Promise<void> {
    const { micro, B, T } = shape;
    if (x.length !== micro * B * T || y.length !== micro * B * T) {
      throw new RangeError(`Cannot train: x/y must hold micro*B*T = ${micro * B * T} ids`);
    }
    const status = await lib().cllm_train_step(
      this.#handle(),
      x as Int32Array<ArrayBuffer>,
      y as Int32Array<ArrayBuffer>,
      BigInt(micro),
      BigInt(B),
      BigInt(T),
      shape.lr,
      shape.grad_clip,
      loss as Float32Array<ArrayBuffer> | null,
      norm as Float32Array<ArrayBuffer> | null,
    );
    this.#check(status, "cllm_train_step");
  }

  /**
   * Losses and gradient norms of the {@linkcode Model.trainStepAsync} steps since the last
   * flush, in step order (waits for the GPU once).
   *
   * @param cap Most steps expected. @default {4096}
   * @returns One `{ loss, gradNorm }` per step.
   */
  async flushTrainStats(cap = 4096): Promise<{ loss: number; gradNorm: number }[]> {
    const losses = new Float32Array(cap);
    const norms = new Float32Array(cap);
    const n = new BigInt64Array(1);
    const status = await lib().cllm_train_flush(this.#handle(), losses, norms, BigInt(cap), n);
    this.#check(status, "cllm_train_flush");
    return Array.from({ length: Number(n[0]) }, (_, i) => ({ loss: losses[i], gradNorm: norms[i] }));
  }

  /**
   * Sample `n` continuations of one prompt, batched, with a KV cache.
   *
   * @param prompt Prompt ids.
   * @param n Number of samples in this batch.
   * @param options Sampling settings; sample i uses the stream (seed, first_index + i).
   * @returns The new ids of each sample (prompt excluded; a final blank line included, as upstream).
   * @throws {FfiError} On bad settings or libtorch failures.
   */
  async generate(prompt: ArrayLike<number>, n: number, options: GenerateOptions = {}): Promise<number[][]> {
    const maxNew = options.max_new_tokens ?? 1000;
    const out = new Int32Array(n * maxNew);
    const lengths = new Int32Array(n);
    const { first_index: first = 0, ...rest } = options;
    const status = await lib().cllm_generate(
      this.#handle(),
      Int32Array.from(prompt),
      BigInt(prompt.length),
      BigInt(n),
      BigInt(first),
      cstr(JSON.stringify({ ...rest, max_new_tokens: maxNew })),
      out,
      lengths,
    );
    this.#check(status, "cllm_generate");
    return Array.from(lengths, (len, i) => Array.from(out.subarray(i * maxNew, i * maxNew + len)));
  }

  /** Free the native model. Safe to call twice. */
  dispose(): void {
    if (this.#ptr !== null) {
      lib().cllm_model_free(this.#ptr);
      this.#ptr = null;
    }
  }

  /** Free the native model at the end of a `using` scope. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * Build a GPT with freshly initialised weights (nanoGPT's init).
 *
 * @param config Model hyperparameters, device and dtype.
 * @returns The model; free it with `using` or `dispose()`.
 * @throws {FfiError} For inconsistent sizes, an unknown dtype or a missing CUDA device.
 *
 * @example A tiny model
 * ```ts ignore
 * import { createModel } from "./mod.ts";
 * using model = createModel({ n_layer: 2, n_head: 2, n_embd: 64, block_size: 128, vocab_size: 371 });
 * console.log(model.tensors().length);
 * ```
 */
export function createModel(config: ModelConfig): Model {
  const out = new BigUint64Array(1);
  const status = lib().cllm_model_new(cstr(JSON.stringify(config)), out);
  const ptr = Deno.UnsafePointer.create(out[0]);
  const model = new Model(ptr, config);
  if (status !== 0) {
    const p = ptr ? lib().cllm_last_error(ptr) : null;
    const msg = p ? new Deno.UnsafePointerView(p).getCString() : "out of memory";
    model.dispose();
    throw new FfiError(status, "cllm_model_new", msg);
  }
  return model;
}
