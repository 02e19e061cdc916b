/**
 * Write `ckpt.pt` files in upstream CrystaLLM's layout that `torch.load` reads, with the
 * optimizer state upstream's `train.py` resumes from.
 *
 * @module
 */
import { PersistentRef, pickle, PyFloat, PyObject, tuple } from "../pickle/mod.ts";
import {
  contiguousStrides,
  numel,
  ORDERED_DICT,
  REBUILD_TENSOR_V2,
  storagePid,
  type Tensor,
} from "./_tensor.ts";
import { sha256 } from "../core/hash.ts";
import { zipStored } from "./_zip.ts";
import { type Checkpoint, optimizerGroups } from "./read_checkpoint.ts";

/** Options for {@linkcode serializeCheckpoint} and {@linkcode writeCheckpoint}. */
export interface WriteOptions {
  /**
   * Write the `attn.bias` causal-mask buffers that upstream's model registers under
   * torch 1.x (no flash attention), so `load_state_dict` there finds every key. Turn off
   * for torch ≥ 2 upstream code, which has no such buffer.
   * @default {true}
   */
  causalMaskBuffers?: boolean;
}

/** Config keys upstream declares as floats; written as Python floats even when integral. */
const FLOAT_KEYS = new Set([
  "learning_rate",
  "min_lr",
  "weight_decay",
  "beta1",
  "beta2",
  "grad_clip",
  "dropout",
  "underrep_p",
  "temperature",
  "lr",
  "eps",
]);

function pyValue(value: unknown, key?: string): unknown {
  if (typeof value === "number" && key !== undefined && FLOAT_KEYS.has(key)) return new PyFloat(value);
  if (Array.isArray(value)) return value.map((v) => pyValue(v));
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return new Map(Object.entries(value).map(([k, v]) => [k, pyValue(v, k)]));
  }
  return value ?? null;
}

/**
 * Serialize a checkpoint to `torch.save`'s zip format (protocol-2 pickle, float32 storages).
 *
 * @param ckpt The checkpoint; `model` holds learned parameters only.
 * @param options Whether to add torch 1.x causal-mask buffers.
 * @returns The bytes of a `ckpt.pt`.
 * @throws {Error} When `transformer.wte.weight` is missing.
 *
 * @example Round trip
 * ```ts
 * import { parseCheckpoint } from "./read_checkpoint.ts";
 * import { serializeCheckpoint } from "./write_checkpoint.ts";
 * import assert from "node:assert/strict";
 * const ckpt = parseCheckpoint(await Deno.readFile(new URL("../../shared/oracle/model/ckpt_tiny.pt", import.meta.url)));
 * const back = parseCheckpoint(serializeCheckpoint(ckpt));
 * assert.deepEqual(back.model_args, ckpt.model_args);
 * ```
 */
export function serializeCheckpoint(ckpt: Checkpoint, options: WriteOptions = {}): Uint8Array {
  const storages: [string, Uint8Array][] = [];
  const tensorObj = (t: { shape: number[]; data: Float32Array }, key?: string) => {
    const n = numel(t.shape);
    if (key === undefined) {
      if (t.data.length !== n) {
        throw new RangeError(`Cannot write checkpoint: tensor [${t.shape}] holds ${t.data.length} values`);
      }
      key = String(storages.length);
      storages.push([key, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)]);
    }
    return new PyObject(REBUILD_TENSOR_V2, [
      new PersistentRef(storagePid(key, n)),
      0,
      tuple(...t.shape),
      tuple(...contiguousStrides(t.shape)),
      false,
      new PyObject(ORDERED_DICT, []),
    ]);
  };
  const scalarTensor = (v: number) => tensorObj({ shape: [], data: new Float32Array([v]) });

  const wte = ckpt.model.get("transformer.wte.weight");
  if (!wte) throw new Error("Cannot write checkpoint: no transformer.wte.weight");
  const stateDict = new PyObject(ORDERED_DICT, []);
  const items = new Map<unknown, unknown>();
  const { n_layer, block_size } = ckpt.model_args;
  const maskKey = (() => {
    if (options.causalMaskBuffers === false) return undefined;
    // torch.tril(torch.ones(block_size, block_size)).view(1, 1, bs, bs), one shared storage
    const mask = new Float32Array(block_size * block_size);
    for (let i = 0; i < block_size; i++) mask.fill(1, i * block_size, i * block_size + i + 1);
    const key = String(storages.length);
    storages.push([key, new Uint8Array(mask.buffer)]);
    return key;
  })();
  let wteKey = "";
  for (const [name, t] of ckpt.model) {
    const obj = tensorObj(t);
    if (name === "transformer.wte.weight") wteKey = storages[storages.length - 1][0];
    items.set(name, obj);
    // upstream's state dict order puts attn.bias right after ln_1 of each block
    const m = /^transformer\.h\.(\d+)\.ln_1\.bias$/.exec(name) ??
      (!ckpt.model_args.bias ? /^transformer\.h\.(\d+)\.ln_1\.weight$/.exec(name) : null);
    if (m && maskKey !== undefined && Number(m[1]) < n_layer) {
      items.set(
        `transformer.h.${m[1]}.attn.bias`,
        tensorObj({ shape: [1, 1, block_size, block_size], data: new Float32Array(0) }, maskKey),
      );
    }
  }
  // lm_head.weight is tied: the same storage as transformer.wte.weight, as torch.save writes it
  items.set("lm_head.weight", tensorObj(wte, wteKey));
  stateDict.dictItems = items;

  let optimizer: unknown = null;
  if (ckpt.optimizer) {
    const o = ckpt.optimizer;
    const [decay, noDecay] = optimizerGroups(ckpt.model.keys());
    const state = new Map<number, unknown>();
    [...decay, ...noDecay].forEach((name, idx) => {
      const s = o.state.get(name);
      if (!s) return;
      state.set(
        idx,
        new Map<string, unknown>([
          ["step", scalarTensor(s.step)],
          ["exp_avg", tensorObj(s.exp_avg)],
          ["exp_avg_sq", tensorObj(s.exp_avg_sq)],
        ]),
      );
    });
    // torch 1.13 AdamW param_group keys, as upstream's files hold them
    const group = (wd: number, params: number[]) =>
      new Map<string, unknown>([
        ["weight_decay", new PyFloat(wd)],
        ["lr", new PyFloat(o.lr)],
        ["betas", tuple(new PyFloat(o.betas[0]), new PyFloat(o.betas[1]))],
        ["eps", new PyFloat(o.eps)],
        ["amsgrad", false],
        ["foreach", null],
        ["maximize", false],
        ["capturable", false],
        ["params", params],
      ]);
    optimizer = new Map<string, unknown>([
      ["state", state],
      [
        "param_groups",
        [
          group(o.weight_decay, decay.map((_, i) => i)),
          group(0, noDecay.map((_, i) => decay.length + i)),
        ],
      ],
    ]);
  }

  const top = new Map<string, unknown>([
    ["model", stateDict],
    ["optimizer", optimizer],
    ["model_args", pyValue(ckpt.model_args)],
    ["iter_num", ckpt.iter_num],
    ["best_val_loss", scalarTensor(ckpt.best_val_loss)],
    ["config", pyValue(ckpt.config)],
  ]);
  const pkl = pickle(top);
  return zipStored([
    ["archive/data.pkl", pkl],
    ["archive/byteorder", new TextEncoder().encode("little")],
    ...storages.map(([k, b]) => [`archive/data/${k}`, b] as [string, Uint8Array]),
    ["archive/version", new TextEncoder().encode("3\n")],
  ]);
}

/**
 * Write bytes atomically: a temporary file in the same directory, fsync, then rename, so a
 * killed run never leaves a truncated file behind.
 *
 * @param path Destination.
 * @param bytes Contents.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      let off = 0;
      while (off < bytes.length) off += await file.write(bytes.subarray(off));
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/**
 * Serialize and write a checkpoint atomically.
 *
 * @param path Destination, usually `<out_dir>/ckpt.pt`.
 * @param ckpt The checkpoint.
 * @param options See {@linkcode WriteOptions}.
 * @returns The file's SHA-256 (hex) and size in bytes.
 *
 * @example Save a copy
 * ```ts ignore
 * import { readCheckpoint, writeCheckpoint } from "./mod.ts";
 * const { sha256 } = await writeCheckpoint("/tmp/ckpt.pt", await readCheckpoint("runs/base"));
 * ```
 */
export async function writeCheckpoint(
  path: string,
  ckpt: Checkpoint,
  options: WriteOptions = {},
): Promise<{ sha256: string; bytes: number }> {
  const bytes = serializeCheckpoint(ckpt, options);
  await writeFileAtomic(path, bytes);
  return { sha256: sha256(bytes), bytes: bytes.length };
}

/** Re-exported for callers building checkpoints by hand. */
export type { Tensor };
