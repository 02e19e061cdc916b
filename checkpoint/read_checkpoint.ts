/**
 * Read upstream CrystaLLM `ckpt.pt` files (torch.save zip: `data.pkl` + `data/<key>`
 * storages) without Python or libtorch's pickle loader.
 *
 * @module
 */
import { unzipSync } from "fflate";
import { PyGlobal, PyObject, unpickle } from "../pickle/mod.ts";
import { rebuildTensor, type Storage, STORAGE_TYPES, type Tensor } from "./_tensor.ts";

export type { Tensor } from "./_tensor.ts";

/** Upstream's `model_args` (GPTConfig fields). */
export interface ModelArgs {
  n_layer: number;
  n_head: number;
  n_embd: number;
  block_size: number;
  vocab_size: number;
  bias: boolean;
  dropout: number;
}

/** AdamW state of one parameter, as torch.optim.AdamW keeps it. */
export interface AdamState {
  step: number;
  exp_avg: Tensor;
  exp_avg_sq: Tensor;
}

/** Optimizer part of a checkpoint, keyed by parameter name instead of torch's indices. */
export interface OptimizerState {
  /** Per-parameter moments; a parameter with no entry has not been stepped. */
  state: Map<string, AdamState>;
  /** Hyperparameters of the two groups (decay, no decay), as torch stores them. */
  lr: number;
  betas: [number, number];
  eps: number;
  weight_decay: number;
}

/** A checkpoint in upstream's layout. */
export interface Checkpoint {
  /**
   * Learned parameters by upstream state-dict key, `_orig_mod.` stripped, in the file's
   * order. Derived entries are left out: `lm_head.weight` (tied to `transformer.wte.weight`)
   * and the `attn.bias` causal masks of torch 1.x files.
   */
  model: Map<string, Tensor>;
  model_args: ModelArgs;
  iter_num: number;
  best_val_loss: number;
  /** Training config as upstream stores it (its YAML keys). */
  config: Record<string, unknown>;
  /** AdamW state, or `null` when the file has none. */
  optimizer: OptimizerState | null;
}

/** Thrown for a file that is not a readable upstream checkpoint. */
export class CheckpointError extends Error {
  /**
   * @param message What is wrong.
   */
  constructor(message: string) {
    super(message);
    this.name = "CheckpointError";
  }
}

function toPlain(value: unknown): unknown {
  if (value instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, v] of value) o[String(k)] = toPlain(v);
    return o;
  }
  if (Array.isArray(value)) return value.map(toPlain);
  return value;
}

function scalar(value: unknown, what: string): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (value && typeof value === "object" && "data" in value && (value as Tensor).data.length === 1) {
    return (value as Tensor).data[0]; // a 0-d tensor, as upstream's estimate_loss returns
  }
  if (value && typeof value === "object" && "numpyScalar" in value) {
    return (value as { numpyScalar: number }).numpyScalar;
  }
  throw new CheckpointError(`Cannot read checkpoint: ${what} is not a number`);
}

/**
 * Names of the parameters in torch's optimizer index order for upstream's AdamW groups:
 * CrystaLLM 8e81a86 `configure_optimizers` puts Linear weights in the decay group and
 * everything else in the no-decay group, each `sorted()` by name.
 *
 * @param names Parameter names (no `lm_head.weight`, no `attn.bias`).
 * @returns `[decay, noDecay]` name lists.
 */
export function optimizerGroups(names: Iterable<string>): [string[], string[]] {
  const decay: string[] = [];
  const noDecay: string[] = [];
  for (const n of names) {
    const linearWeight = n.endsWith(".weight") && !/\.ln_|\.ln_f\.|\.wte\.|\.wpe\./.test(n) &&
      !n.startsWith("transformer.ln_f.");
    (linearWeight ? decay : noDecay).push(n);
  }
  // Python's sorted() on str compares code points; these names are ASCII
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [decay.sort(cmp), noDecay.sort(cmp)];
}

function isDerivedKey(key: string): boolean {
  return key === "lm_head.weight" || /\.attn\.bias$/.test(key) || /\.attn\.masked_bias$/.test(key);
}

/**
 * Parse the bytes of a `ckpt.pt`.
 *
 * @param bytes The zip file's bytes.
 * @returns The checkpoint, tensors as float32.
 * @throws {CheckpointError} When the zip, its pickle or the layout is not upstream's.
 *
 * @example Read the oracle's tiny checkpoint
 * ```ts
 * import { parseCheckpoint } from "./read_checkpoint.ts";
 * import assert from "node:assert/strict";
 * const ckpt = parseCheckpoint(await Deno.readFile(new URL("../../shared/oracle/model/ckpt_tiny.pt", import.meta.url)));
 * assert.equal(ckpt.model_args.n_layer, 2);
 * ```
 */
export function parseCheckpoint(bytes: Uint8Array): Checkpoint {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join("");
    throw new CheckpointError(
      `Cannot read checkpoint: bad magic ${magic}, expected a torch.save zip file (legacy non-zip format is not supported)`,
    );
  }
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw new CheckpointError(`Cannot read checkpoint: broken zip: ${(e as Error).message}`);
  }
  const pklName = Object.keys(files).find((n) => n.endsWith("data.pkl"));
  if (!pklName) throw new CheckpointError("Cannot read checkpoint: no data.pkl in the zip");
  const prefix = pklName.slice(0, -"data.pkl".length);
  const byteorder = files[`${prefix}byteorder`];
  if (byteorder && new TextDecoder().decode(byteorder).trim() !== "little") {
    throw new CheckpointError("Cannot read checkpoint: big-endian storages are not supported");
  }

  const storages = new Map<string, Storage>();
  const raw = unpickle(files[pklName], {
    findClass(module, name) {
      if (module === "torch._utils" && name === "_rebuild_tensor_v2") {
        return (storage: Storage, offset: number, size: number[], stride: number[]) =>
          rebuildTensor(storage, offset, size, stride);
      }
      if (module === "torch._utils" && name === "_rebuild_parameter") return (data: Tensor) => data;
      if (module === "torch" && name in STORAGE_TYPES) return new PyGlobal(module, name);
      if (module === "numpy" && name === "dtype") {
        return (code: string) => ({ numpyDtype: code, __setstate__() {} });
      }
      if ((module === "numpy.core.multiarray" || module === "numpy._core.multiarray") && name === "scalar") {
        return (dtype: { numpyDtype: string }, data: Uint8Array) => {
          const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
          const code = dtype.numpyDtype;
          const x = code === "f8"
            ? v.getFloat64(0, true)
            : code === "f4"
            ? v.getFloat32(0, true)
            : code === "i8"
            ? Number(v.getBigInt64(0, true))
            : NaN;
          return { numpyScalar: x };
        };
      }
      return undefined;
    },
    persistentLoad(pid) {
      const [kind, type, key, , count] = pid as [string, PyGlobal | string, string, string, number];
      if (kind !== "storage") {
        throw new CheckpointError(`Cannot read checkpoint: unknown persistent id kind ${kind}`);
      }
      const cached = storages.get(key);
      if (cached) return cached;
      const typeName = type instanceof PyGlobal ? type.name : String(type);
      const info = STORAGE_TYPES[typeName];
      if (!info) throw new CheckpointError(`Cannot read checkpoint: unsupported storage type ${typeName}`);
      const data = files[`${prefix}data/${key}`];
      if (!data) {
        throw new CheckpointError(`Cannot read checkpoint: storage data/${key} missing from the zip`);
      }
      if (data.length < Number(count) * info.bytes) {
        throw new CheckpointError(`Cannot read checkpoint: storage data/${key} is truncated`);
      }
      const s: Storage = { key, dtype: info.dtype, bytes: data };
      storages.set(key, s);
      return s;
    },
  });
  if (!(raw instanceof Map)) {
    throw new CheckpointError("Cannot read checkpoint: data.pkl does not hold a dict");
  }
  for (const key of ["model", "model_args"]) {
    if (!raw.has(key)) throw new CheckpointError(`Cannot read checkpoint: no "${key}" entry`);
  }

  const stateDict = raw.get("model");
  const entries: [unknown, unknown][] = stateDict instanceof Map
    ? [...stateDict.entries()]
    : stateDict instanceof PyObject && stateDict.dictItems
    ? [...stateDict.dictItems.entries()]
    : [];
  if (entries.length === 0) {
    throw new CheckpointError("Cannot read checkpoint: the model state dict is empty");
  }
  const model = new Map<string, Tensor>();
  for (const [k, v] of entries) {
    // torch.compile wraps the model and prefixes every key (upstream train.py strips it too)
    const key = String(k).replace(/^_orig_mod\./, "");
    if (isDerivedKey(key)) continue;
    if (!v || typeof v !== "object" || !("data" in v)) {
      throw new CheckpointError(`Cannot read checkpoint: state dict entry ${key} is not a tensor`);
    }
    model.set(key, v as Tensor);
  }

  const args = toPlain(raw.get("model_args")) as Record<string, unknown>;
  const model_args: ModelArgs = {
    n_layer: Number(args.n_layer),
    n_head: Number(args.n_head),
    n_embd: Number(args.n_embd),
    block_size: Number(args.block_size),
    vocab_size: Number(args.vocab_size),
    bias: args.bias === undefined ? true : Boolean(args.bias),
    dropout: args.dropout === undefined ? 0 : Number(args.dropout),
  };
  for (const [k, v] of Object.entries(model_args)) {
    if (typeof v === "number" && !Number.isFinite(v)) {
      throw new CheckpointError(`Cannot read checkpoint: model_args.${k} is missing or not a number`);
    }
  }
  const wte = model.get("transformer.wte.weight");
  if (!wte) throw new CheckpointError("Cannot read checkpoint: no transformer.wte.weight in the state dict");
  if (wte.shape[0] !== model_args.vocab_size) {
    throw new CheckpointError(
      `Cannot read checkpoint: model_args.vocab_size is ${model_args.vocab_size} but transformer.wte.weight has ${
        wte.shape[0]
      } rows`,
    );
  }

  return {
    model,
    model_args,
    iter_num: raw.has("iter_num") ? scalar(raw.get("iter_num"), "iter_num") : 0,
    best_val_loss: raw.has("best_val_loss") ? scalar(raw.get("best_val_loss"), "best_val_loss") : 1e9,
    config: toPlain(raw.get("config") ?? new Map()) as Record<string, unknown>,
    optimizer: readOptimizer(raw.get("optimizer"), model),
  };
}

function readOptimizer(value: unknown, model: Map<string, Tensor>): OptimizerState | null {
  if (!(value instanceof Map) || !(value.get("state") instanceof Map)) return null;
  const groups = value.get("param_groups") as Map<string, unknown>[];
  if (!Array.isArray(groups) || groups.length === 0) return null;
  const [decay, noDecay] = optimizerGroups(model.keys());
  const g0 = groups[0];
  const order = [...decay, ...noDecay];
  const count = groups.reduce((a, g) => a + (g.get("params") as unknown[]).length, 0);
  if (count !== order.length || (g0.get("params") as unknown[]).length !== decay.length) {
    throw new CheckpointError(
      `Cannot read checkpoint: optimizer groups hold ${count} parameters (${
        (g0.get("params") as unknown[]).length
      } decayed), the model has ${order.length} (${decay.length} Linear weights)`,
    );
  }
  // param index → name: indices are positions in the concatenated groups' param lists
  const names = new Map<number, string>();
  let i = 0;
  for (const g of groups) {
    for (const idx of g.get("params") as number[]) names.set(Number(idx), order[i++]);
  }
  const state = new Map<string, AdamState>();
  for (const [idx, s] of value.get("state") as Map<number, Map<string, unknown>>) {
    const name = names.get(Number(idx));
    if (!name) throw new CheckpointError(`Cannot read checkpoint: optimizer state for unknown index ${idx}`);
    const exp_avg = s.get("exp_avg") as Tensor;
    const exp_avg_sq = s.get("exp_avg_sq") as Tensor;
    const shape = model.get(name)!.shape;
    if (!exp_avg || exp_avg.shape.join() !== shape.join() || exp_avg_sq?.shape.join() !== shape.join()) {
      throw new CheckpointError(
        `Cannot read checkpoint: optimizer state ${idx} does not match parameter ${name} [${shape}]`,
      );
    }
    state.set(name, { step: scalar(s.get("step"), "optimizer step"), exp_avg, exp_avg_sq });
  }
  const betas = g0.get("betas") as number[];
  return {
    state,
    lr: Number(g0.get("lr")),
    betas: [Number(betas[0]), Number(betas[1])],
    eps: Number(g0.get("eps")),
    weight_decay: Number(g0.get("weight_decay")),
  };
}

/**
 * Read a `ckpt.pt` file, or `<dir>/ckpt.pt` when given a run directory.
 *
 * @param path File or directory.
 * @returns The checkpoint.
 * @throws {CheckpointError} For unreadable files (see {@linkcode parseCheckpoint}).
 *
 * @example Read a run's checkpoint
 * ```ts ignore
 * import { readCheckpoint } from "./read_checkpoint.ts";
 * const ckpt = await readCheckpoint("runs/base_small");
 * console.log(ckpt.model_args, ckpt.iter_num);
 * ```
 */
export async function readCheckpoint(path: string): Promise<Checkpoint> {
  return parseCheckpoint(await Deno.readFile(await resolveCheckpointPath(path)));
}

/**
 * Resolve a checkpoint argument: a file as is, a directory to `<dir>/ckpt.pt`.
 *
 * @param path File or directory.
 * @returns The file path.
 * @throws {CheckpointError} When nothing is there.
 */
export async function resolveCheckpointPath(path: string): Promise<string> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch {
    throw new CheckpointError(`Cannot read checkpoint: ${path} does not exist`);
  }
  if (!info.isDirectory) return path;
  const file = `${path.replace(/\/+$/, "")}/ckpt.pt`;
  try {
    await Deno.stat(file);
  } catch {
    throw new CheckpointError(`Cannot read checkpoint: ${path} is a directory without ckpt.pt`);
  }
  return file;
}
