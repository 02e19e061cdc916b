/**
 * Move weights and optimizer state between a {@linkcode Checkpoint} and an `ffi/` model.
 *
 * @module
 */
import { createModel, type Model, type OptimizerConfig } from "../ffi/mod.ts";
import { numel } from "./_tensor.ts";
import {
  type AdamState,
  type Checkpoint,
  CheckpointError,
  type ModelArgs,
  type Tensor,
} from "./read_checkpoint.ts";

/** Options for {@linkcode loadModel}. */
export interface LoadModelOptions {
  /** @default {"cpu"} */
  device?: string;
  /** @default {"float32"} */
  dtype?: "float32" | "bfloat16" | "float16";
  /**
   * Context length to run with; smaller than the checkpoint's crops the position
   * embeddings (as upstream `crop_block_size`), larger is an error.
   * @default {the checkpoint's}
   */
  blockSize?: number;
  /** Expected vocabulary size (the dataset's); a mismatch is an error naming both. */
  vocabSize?: number;
  /** Dropout for training; upstream lets a finetune override it. @default {the checkpoint's} */
  dropout?: number;
  /** Seed for dropout. @default {1337} */
  seed?: number;
  /** float32 matmuls on TF32 tensor cores on CUDA; false for full-float32 parity. @default {true} */
  tf32?: boolean;
  /** Restore AdamW state (resume). Without state in the file this creates fresh state. */
  optimizer?: OptimizerConfig | false;
  /** Receives human-readable notices (e.g. the block-size crop). @default {console.error} */
  onNotice?: (message: string) => void;
  /** The checkpoint's file, named in error messages. */
  source?: string;
}

/** Where a tensor map first holds a value that is not finite. */
export interface NonFinite {
  name: string;
  index: number;
  value: number;
}

/**
 * The first NaN or infinite value among tensors, or null when every value is finite.
 *
 * @param tensors Name → tensor (a checkpoint's `model`).
 * @returns Tensor name, element index and value, or null.
 * @example
 * ```ts
 * import { findNonFinite } from "./model_state.ts";
 * import assert from "node:assert/strict";
 * const t = new Map([["w", { shape: [3], dtype: "float32", data: new Float32Array([1, NaN, 2]) }]]);
 * assert.deepEqual(findNonFinite(t), { name: "w", index: 1, value: NaN });
 * ```
 */
export function findNonFinite(tensors: Iterable<[string, Tensor]>): NonFinite | null {
  for (const [name, t] of tensors) {
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      // x - x is 0 for every finite x and NaN for NaN and ±Infinity
      if (d[i] - d[i] !== 0) return { name, index: i, value: d[i] };
    }
  }
  return null;
}

/**
 * Build an `ffi/` model holding a checkpoint's weights (and optimizer state if asked).
 *
 * @param ckpt The checkpoint.
 * @param options Device, dtype, block size, expected vocab size, optimizer.
 * @returns The model, with `config.block_size` the one in effect.
 * @throws {CheckpointError} For a vocab_size mismatch, a larger block_size, NaN or infinite
 *   weights, or a state dict whose keys differ from the architecture's.
 *
 * @example Load the oracle's tiny model
 * ```ts ignore
 * import { loadModel, readCheckpoint } from "./mod.ts";
 * using model = loadModel(await readCheckpoint("../shared/oracle/model/ckpt_tiny.pt"));
 * ```
 */
export function loadModel(ckpt: Checkpoint, options: LoadModelOptions = {}): Model {
  const args = ckpt.model_args;
  const notice = options.onNotice ?? ((m: string) => console.error(m));
  // NaN or infinite weights give NaN logits: sampling would silently write garbage
  const bad = findNonFinite(ckpt.model) ??
    (options.optimizer ? findNonFinite([...(ckpt.optimizer?.state ?? [])].flatMap(([n, s]) => [[`exp_avg/${n}`, s.exp_avg], [`exp_avg_sq/${n}`, s.exp_avg_sq]] as [string, Tensor][])) : null);
  if (bad) {
    throw new CheckpointError(
      `Cannot use checkpoint${options.source ? ` ${options.source}` : ""}: ${bad.name} holds ${bad.value} at element ` +
        `${bad.index}; the weights are corrupt (a diverged training run or a damaged file): restore a good copy or retrain`,
    );
  }
  if (options.vocabSize !== undefined && options.vocabSize !== args.vocab_size) {
    throw new CheckpointError(
      `Cannot use checkpoint: its vocab_size is ${args.vocab_size} but the dataset's is ${options.vocabSize}; ` +
        `tokenize the data with the checkpoint's tokenizer`,
    );
  }
  const blockSize = options.blockSize ?? args.block_size;
  if (blockSize > args.block_size) {
    throw new CheckpointError(
      `Cannot use block_size ${blockSize}: the checkpoint has position embeddings for ${args.block_size} ` +
        `positions only (wpe cannot grow); use block_size <= ${args.block_size}`,
    );
  }
  if (blockSize < args.block_size) {
    notice(
      `Cropping the model's block size from ${args.block_size} to ${blockSize} (position embeddings truncated)`,
    );
  }
  const model = createModel({
    ...args,
    block_size: blockSize,
    dropout: options.dropout ?? args.dropout,
    device: options.device ?? "cpu",
    dtype: options.dtype ?? "float32",
    seed: options.seed ?? 1337,
    ...(options.tf32 === undefined ? {} : { tf32: options.tf32 }),
  });
  try {
    const params = model.tensors();
    const expected = new Set(params.map((p) => p.name));
    const missing = [...expected].filter((n) => !ckpt.model.has(n));
    const unexpected = [...ckpt.model.keys()].filter((n) => !expected.has(n));
    if (missing.length || unexpected.length) {
      throw new CheckpointError(
        `Cannot load state dict: missing keys [${missing.join(", ")}], unexpected keys [${
          unexpected.join(", ")
        }]`,
      );
    }
    for (const p of params) {
      let t = ckpt.model.get(p.name)!;
      if (p.name === "transformer.wpe.weight" && blockSize < args.block_size) {
        t = { ...t, shape: [blockSize, t.shape[1]], data: t.data.subarray(0, blockSize * t.shape[1]) };
      }
      if (t.shape.join() !== p.shape.join()) {
        throw new CheckpointError(
          `Cannot load ${p.name}: checkpoint shape [${t.shape}], model shape [${p.shape}]`,
        );
      }
      model.write(p.name, t.data);
    }
    if (options.optimizer !== undefined && options.optimizer !== false) {
      const o = ckpt.optimizer;
      model.createOptimizer({
        weight_decay: options.optimizer.weight_decay ?? o?.weight_decay,
        beta1: options.optimizer.beta1 ?? o?.betas[0],
        beta2: options.optimizer.beta2 ?? o?.betas[1],
        eps: options.optimizer.eps ?? o?.eps,
      });
      for (const [name, s] of o?.state ?? []) {
        if (!expected.has(name)) continue;
        model.write(`step/${name}`, new Float32Array([s.step]));
        model.write(`exp_avg/${name}`, cropLike(name, s.exp_avg, blockSize).data);
        model.write(`exp_avg_sq/${name}`, cropLike(name, s.exp_avg_sq, blockSize).data);
      }
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

function cropLike(name: string, t: Tensor, blockSize: number): Tensor {
  if (name !== "transformer.wpe.weight" || t.shape[0] === blockSize) return t;
  return { ...t, shape: [blockSize, t.shape[1]], data: t.data.subarray(0, blockSize * t.shape[1]) };
}

/** What a checkpoint holds besides tensors. */
export interface CheckpointMeta {
  iter_num: number;
  best_val_loss: number;
  config: Record<string, unknown>;
  /** Learning rate of the param groups when saved. @default {config.learning_rate} */
  lr?: number;
  /** Include optimizer state (when the model has any). @default {true} */
  optimizer?: boolean;
}

/**
 * Snapshot a model's weights (and AdamW state) into a {@linkcode Checkpoint}.
 *
 * @param model The model.
 * @param meta iter_num, best_val_loss, config.
 * @returns A checkpoint ready for `writeCheckpoint`.
 */
export function checkpointFromModel(model: Model, meta: CheckpointMeta): Checkpoint {
  const c = model.config;
  const model_args: ModelArgs = {
    n_layer: c.n_layer,
    n_head: c.n_head,
    n_embd: c.n_embd,
    block_size: c.block_size,
    vocab_size: c.vocab_size,
    bias: c.bias ?? true,
    dropout: c.dropout ?? 0,
  };
  const tensors = model.tensors();
  const weights = new Map<string, Tensor>();
  const state = new Map<string, AdamState>();
  for (const t of tensors) {
    if (t.name.includes("/")) continue;
    weights.set(t.name, { shape: t.shape, dtype: "float32", data: model.read(t.name, numel(t.shape)) });
  }
  const hasOptimizer = meta.optimizer !== false && tensors.some((t) => t.name.startsWith("exp_avg/"));
  if (hasOptimizer) {
    for (const [name, w] of weights) {
      const step = model.read(`step/${name}`, 1)[0];
      if (step === 0) continue; // torch has no state for a never-stepped parameter
      state.set(name, {
        step,
        exp_avg: { shape: w.shape, dtype: "float32", data: model.read(`exp_avg/${name}`, w.data.length) },
        exp_avg_sq: {
          shape: w.shape,
          dtype: "float32",
          data: model.read(`exp_avg_sq/${name}`, w.data.length),
        },
      });
    }
  }
  const cfg = meta.config;
  return {
    model: weights,
    model_args,
    iter_num: meta.iter_num,
    best_val_loss: meta.best_val_loss,
    config: cfg,
    optimizer: hasOptimizer
      ? {
        state,
        lr: meta.lr ?? Number(cfg.learning_rate ?? 6e-4),
        betas: [Number(cfg.beta1 ?? 0.9), Number(cfg.beta2 ?? 0.95)],
        eps: 1e-8,
        weight_decay: Number(cfg.weight_decay ?? 0.1),
      }
      : null,
  };
}
