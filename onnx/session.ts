/**
 * An exported decoder (`crystallm export onnx`) in an onnxruntime-node session: one call per
 * prompt or decode step, the KV cache passed in and out as `past_key_values.*` / `present.*`.
 *
 * @module
 */
import type { ModelArgs } from "../checkpoint/mod.ts";
import { decodeModel } from "../export/onnx_graph.ts";
import { META } from "../export/onnx_export.ts";
import { sha256 } from "../core/hash.ts";

// onnxruntime-node (288 MB with the binaries of every platform) is loaded on first use, by a
// specifier Deno cannot see ahead of time: libtorch-only processes never load it, and an
// offline bundle (bundle/) does not carry it in its DENO_DIR.
// Not even `import type`: Deno resolves a type-only npm import at start-up too, and then asks for
// the package in an offline bundle. Hence the loose types below (export/onnx_export_test.ts
// type-checks the API that is used against the package's own declarations).
// the version is pinned here (not in deno.json's imports, which Deno installs at every start-up,
// so that an offline bundle without it would not start) and in deno.lock
/** The pinned onnxruntime-node version (also in deno.lock). */
export const ORT_VERSION = "1.30.0";
const ORT_SPECIFIER = ["npm:onnxruntime", `node@${ORT_VERSION}`].join("-");
declare namespace Ort {
  // deno-lint-ignore no-explicit-any
  type Tensor = any;
  // deno-lint-ignore no-explicit-any
  type InferenceSession = any;
}
// deno-lint-ignore no-explicit-any
let ort: any;

// deno-lint-ignore no-explicit-any
async function loadOrt(): Promise<any> {
  if (!ort) {
    try {
      ort = await import(ORT_SPECIFIER);
    } catch (e) {
      throw new OnnxModelError(
        `Cannot load onnxruntime-node for the ONNX engine (${(e as Error).message.split("\n")[0]}); ` +
          "in a checkout run `deno cache onnx/session.ts` with the npm registry reachable; an offline bundle " +
          "carries it only when made with `crystallm bundle create --engine onnx`",
      );
    }
  }
  return ort;
}

/** Thrown for a file that is not an exported CrystaLLM decoder. */
export class OnnxModelError extends Error {
  override name = "OnnxModelError";
}

/** The KV cache of a batch: per layer, keys and values `[B, heads, len, head_dim]`. */
export interface KvCache {
  keys: Ort.Tensor[];
  values: Ort.Tensor[];
  /** Tokens held per row. */
  length: number;
}

/** What {@linkcode OnnxDecoder.open} reads from the file besides the graph. */
export interface OnnxModelInfo {
  path: string;
  sha256: string;
  opset: number;
  model_args: ModelArgs;
  checkpoint_sha256: string;
  iter_num: number | null;
}

/** onnxruntime-node's version (the npm package pinned in deno.json), once it is loaded. */
export async function ortVersion(): Promise<string> {
  const o = await loadOrt();
  return o.env.versions?.node ?? o.env.versions?.common ?? "unknown";
}

async function readModelBytes(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    throw new OnnxModelError(`Cannot read ONNX model ${path}: ${(e as Error).message}`);
  }
}

async function modelInfo(path: string, bytes: Uint8Array): Promise<OnnxModelInfo> {
  let meta: Map<string, string>;
  let opset = 0;
  try {
    const m = decodeModel(bytes);
    meta = new Map((m.metadataProps ?? []).map((p) => [p.key ?? "", p.value ?? ""]));
    opset = Number(m.opsetImport?.find((o) => !o.domain)?.version ?? 0);
  } catch (e) {
    throw new OnnxModelError(
      `Cannot read ONNX model ${path}: not an ONNX protobuf (${(e as Error).message})`,
    );
  }
  const argsText = meta.get(META.model_args);
  if (!argsText) {
    throw new OnnxModelError(
      `Cannot use ONNX model ${path}: it has no ${META.model_args} metadata; export it with crystallm export onnx`,
    );
  }
  return {
    path,
    sha256: sha256(bytes),
    opset,
    model_args: JSON.parse(argsText),
    checkpoint_sha256: meta.get(META.checkpoint_sha256) ?? "",
    iter_num: meta.has(META.iter_num) ? Number(meta.get(META.iter_num)) : null,
  };
}

/**
 * What an exported model's file says about it (hash, opset, `model_args`, the checkpoint it was
 * exported from), read without loading onnxruntime.
 *
 * @param path A `.onnx` file written by `crystallm export onnx`.
 * @returns Its description.
 * @throws {OnnxModelError} For an unreadable file or one without the exporter's metadata.
 */
export async function readOnnxModelInfo(path: string): Promise<OnnxModelInfo> {
  return await modelInfo(path, await readModelBytes(path));
}

/** An exported decoder, loaded. */
export class OnnxDecoder {
  readonly info: OnnxModelInfo;
  readonly #session: Ort.InferenceSession;

  private constructor(info: OnnxModelInfo, session: Ort.InferenceSession) {
    this.info = info;
    this.#session = session;
  }

  /**
   * Load a `.onnx` file written by `crystallm export onnx`.
   *
   * @param path The file.
   * @returns The decoder.
   * @throws {OnnxModelError} For an unreadable file or one without the exporter's metadata.
   */
  static async open(path: string): Promise<OnnxDecoder> {
    const bytes = await readModelBytes(path);
    const info = await modelInfo(path, bytes);
    const threads = Number(Deno.env.get("CRYSTALLM_NUM_THREADS") ?? 0);
    const session = await (await loadOrt()).InferenceSession.create(bytes, {
      graphOptimizationLevel: "all",
      executionProviders: ["cpu"],
      ...(threads > 0 ? { intraOpNumThreads: threads } : {}),
      // worker threads sleep between operators instead of spinning (libtorch's engine runs with
      // OMP_WAIT_POLICY=PASSIVE too): decode steps are short, and on a busy machine spinning
      // threads cost several times the work (measured: 8.4 s against 2.1 s for 16 × 300 tokens)
      extra: { session: { intra_op: { allow_spinning: "0" } } },
    });
    return new OnnxDecoder(info, session);
  }

  /** Input names of the graph. */
  get inputNames(): readonly string[] {
    return this.#session.inputNames;
  }

  /** Output names of the graph. */
  get outputNames(): readonly string[] {
    return this.#session.outputNames;
  }

  /**
   * An empty cache for `batch` rows (past length 0).
   *
   * @param batch Rows.
   * @returns The cache.
   */
  emptyCache(batch: number): KvCache {
    const { n_layer, n_head, n_embd } = this.info.model_args;
    const dims = [batch, n_head, 0, n_embd / n_head];
    const empty = () => new ort.Tensor("float32", new Float32Array(0), dims);
    return {
      keys: Array.from({ length: n_layer }, empty),
      values: Array.from({ length: n_layer }, empty),
      length: 0,
    };
  }

  /**
   * Run the decoder on `B` rows of `T` new tokens at positions `cache.length …`.
   *
   * @param ids `B*T` token ids, row-major.
   * @param B Rows.
   * @param T New tokens per row.
   * @param cache The rows' cache (its batch must be `B`); {@linkcode emptyCache} for a prompt.
   * @returns Logits `[B, T, V]` as float32 and the cache with the new tokens.
   */
  async step(
    ids: ArrayLike<number>,
    B: number,
    T: number,
    cache: KvCache,
  ): Promise<{ logits: Float32Array; cache: KvCache }> {
    const bs = this.info.model_args.block_size;
    if (cache.length + T > bs) {
      throw new RangeError(`Cannot forward sequence of length ${cache.length + T}, block size is only ${bs}`);
    }
    const idArr = new BigInt64Array(B * T);
    const posArr = new BigInt64Array(B * T);
    for (let i = 0; i < B * T; i++) {
      idArr[i] = BigInt(ids[i]);
      posArr[i] = BigInt(cache.length + (i % T));
    }
    const feeds: Record<string, Ort.Tensor> = {
      input_ids: new ort.Tensor("int64", idArr, [B, T]),
      position_ids: new ort.Tensor("int64", posArr, [B, T]),
    };
    cache.keys.forEach((k, i) => (feeds[`past_key_values.${i}.key`] = k));
    cache.values.forEach((v, i) => (feeds[`past_key_values.${i}.value`] = v));
    const out = await this.#session.run(feeds);
    const n = cache.keys.length;
    return {
      logits: out.logits.data as Float32Array,
      cache: {
        keys: Array.from({ length: n }, (_, i) => out[`present.${i}.key`]),
        values: Array.from({ length: n }, (_, i) => out[`present.${i}.value`]),
        length: cache.length + T,
      },
    };
  }

  /** Release the session. */
  async release(): Promise<void> {
    await this.#session.release();
  }
}

/**
 * Keep only some rows of a cache (rows may repeat: `[0, 0, 0]` tiles a one-row prompt cache).
 *
 * @param cache The cache.
 * @param rows Row indices into the cache's batch.
 * @returns A new cache with `rows.length` rows.
 */
export function selectRows(cache: KvCache, rows: readonly number[]): KvCache {
  const pick = (t: Ort.Tensor): Ort.Tensor => {
    const [B, h, L, d] = t.dims as number[];
    const src = t.data as Float32Array;
    const per = h * L * d;
    const dst = new Float32Array(rows.length * per);
    rows.forEach((r, i) => {
      if (r < 0 || r >= B) throw new RangeError(`row ${r} outside a cache of ${B} rows`);
      dst.set(src.subarray(r * per, (r + 1) * per), i * per);
    });
    return new ort.Tensor("float32", dst, [rows.length, h, L, d]);
  };
  return { keys: cache.keys.map(pick), values: cache.values.map(pick), length: cache.length };
}
