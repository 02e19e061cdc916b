/**
 * The GPT decoder of a checkpoint as an ONNX graph with a KV cache, named as Hugging Face
 * Optimum names its GPT-2 exports (`input_ids`, `position_ids`, `past_key_values.{i}.key`,
 * `logits`, `present.{i}.key`, …), built as plain ModelProto objects (./onnx_proto.ts).
 *
 * @module
 */
import type { Checkpoint, ModelArgs } from "../checkpoint/mod.ts";
import {
  AttributeType,
  DataType,
  type IAttributeProto,
  type IModelProto,
  type INodeProto,
  type ITensorProto,
  type IValueInfoProto,
} from "./onnx_proto.ts";
export { decodeModel, encodeModel } from "./onnx_proto.ts";

/** float32 element type of ONNX's TensorProto. */
export const FLOAT = DataType.FLOAT;
/** int64 element type. */
export const INT64 = DataType.INT64;

/** Lowest opset that has `LayerNormalization`; the highest this exporter has been checked at. */
export const MIN_OPSET = 17;
/** @see MIN_OPSET */
export const MAX_OPSET = 21;

/** Settings of {@linkcode buildDecoderModel}. */
export interface DecoderModelOptions {
  /** ONNX opset of the default domain. @default {17} */
  opset?: number;
  /** Key/value pairs stored as `metadata_props`. */
  metadata?: Record<string, string>;
}

/** One dimension: a number or a symbolic name (`batch_size`). */
type Dim = number | string;

function valueInfo(name: string, elemType: number, dims: Dim[]): IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function floatTensor(name: string, dims: number[], data: Float32Array): ITensorProto {
  // raw_data is little-endian, as typed arrays are on every platform Deno runs on
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return { name, dims, dataType: FLOAT, rawData: raw };
}

function int64Tensor(name: string, values: number[]): ITensorProto {
  return { name, dims: [values.length], dataType: INT64, int64Data: values };
}

function scalarFloat(name: string, value: number): ITensorProto {
  return { name, dims: [], dataType: FLOAT, floatData: [value] };
}

function attr(name: string, value: number | number[]): IAttributeProto {
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if (Number.isInteger(value)) return { name, type: AttributeType.INT, i: value };
  return { name, type: AttributeType.FLOAT, f: value };
}

/** Appends nodes with unique output names. */
class GraphBuilder {
  nodes: INodeProto[] = [];
  initializers: ITensorProto[] = [];
  #n = 0;

  node(
    op: string,
    inputs: string[],
    attrs: Record<string, number | number[]> = {},
    outputs?: string[],
  ): string[] {
    const outs = outputs ?? [`${op}_${this.#n}`];
    this.nodes.push({
      name: `${op}_${this.#n++}`,
      opType: op,
      input: inputs,
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)),
    });
    return outs;
  }

  one(op: string, inputs: string[], attrs: Record<string, number | number[]> = {}, output?: string): string {
    return this.node(op, inputs, attrs, output ? [output] : undefined)[0];
  }

  init(t: ITensorProto): string {
    this.initializers.push(t);
    return t.name!;
  }
}

/**
 * Build the decoder graph of a checkpoint: one graph that serves the prompt (past length 0)
 * and every decode step. Weights are initializers under their state-dict names; each Linear
 * multiplies by the transpose of its `[out, in]` weight, and `lm_head` is the transposed
 * `transformer.wte.weight` (weight tying), so no weight is stored twice.
 *
 * @param ckpt The checkpoint (weights as float32).
 * @param options Opset and metadata.
 * @returns The model (write it with {@linkcode encodeModel}).
 * @throws {RangeError} For an opset outside {@linkcode MIN_OPSET}…{@linkcode MAX_OPSET}, or
 *   a state dict without the tensors the architecture needs.
 */
export function buildDecoderModel(ckpt: Checkpoint, options: DecoderModelOptions = {}): IModelProto {
  const opset = options.opset ?? MIN_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new RangeError(
      `Cannot export at opset ${opset}: use ${MIN_OPSET}..${MAX_OPSET} (LayerNormalization needs 17)`,
    );
  }
  const a: ModelArgs = ckpt.model_args;
  const C = a.n_embd, nh = a.n_head, hs = C / nh;
  if (!Number.isInteger(hs)) {
    throw new RangeError(`Cannot export: n_embd ${C} is not a multiple of n_head ${nh}`);
  }
  const g = new GraphBuilder();
  const weight = (name: string): string => {
    const t = ckpt.model.get(name);
    if (!t) throw new RangeError(`Cannot export: the checkpoint has no ${name}`);
    return g.init(floatTensor(name, t.shape, t.data));
  };
  const optional = (name: string): string | undefined => (ckpt.model.has(name) ? weight(name) : undefined);
  const linear = (x: string, prefix: string): string => {
    const wT = g.one("Transpose", [weight(`${prefix}.weight`)], { perm: [1, 0] });
    const y = g.one("MatMul", [x, wT]);
    const b = a.bias ? optional(`${prefix}.bias`) : undefined;
    return b ? g.one("Add", [y, b]) : y;
  };
  const layerNorm = (x: string, prefix: string): string => {
    const b = a.bias ? optional(`${prefix}.bias`) : undefined;
    return g.one(
      "LayerNormalization",
      b ? [x, weight(`${prefix}.weight`), b] : [x, weight(`${prefix}.weight`)],
      {
        axis: -1,
        epsilon: 1e-5,
      },
    );
  };

  const heads = g.init(int64Tensor("const_heads_shape", [0, 0, nh, hs]));
  const merged = g.init(int64Tensor("const_merged_shape", [0, 0, C]));
  const splitSizes = g.init(int64Tensor("const_qkv_split", [C, C, C]));
  const scale = g.init(scalarFloat("const_attn_scale", 1 / Math.sqrt(hs)));
  const negInf = g.init(scalarFloat("const_neg_inf", -Infinity));
  const half = g.init(scalarFloat("const_half", 0.5));
  const one = g.init(scalarFloat("const_one", 1));
  const sqrt2 = g.init(scalarFloat("const_sqrt2", Math.SQRT2));
  const axis0 = g.init(int64Tensor("const_axis_0", [0]));
  const axis1 = g.init(int64Tensor("const_axis_1", [1]));
  const i2 = g.init(int64Tensor("const_index_2", [2]));
  const i3 = g.init(int64Tensor("const_index_3", [3]));
  const start0 = g.init({ name: "const_zero_i64", dims: [], dataType: INT64, int64Data: [0] });
  const step1 = g.init({ name: "const_one_i64", dims: [], dataType: INT64, int64Data: [1] });

  // embeddings
  const tok = g.one("Gather", [weight("transformer.wte.weight"), "input_ids"], { axis: 0 });
  const pos = g.one("Gather", [weight("transformer.wpe.weight"), "position_ids"], { axis: 0 });
  let x = g.one("Add", [tok, pos]);

  // causal mask [T, S]: the query at absolute position past+t sees keys 0..past+t
  const pastShape = g.one("Shape", ["past_key_values.0.key"]);
  const past = g.one("Squeeze", [g.one("Slice", [pastShape, i2, i3, axis0]), axis0]);
  const seqShape = g.one("Shape", ["input_ids"]);
  const seq = g.one("Squeeze", [g.one("Slice", [seqShape, axis1, i2, axis0]), axis0]);
  const total = g.one("Add", [past, seq]);
  const qPos = g.one("Unsqueeze", [g.one("Range", [past, total, step1]), axis1]); // [T, 1]
  const kPos = g.one("Unsqueeze", [g.one("Range", [start0, total, step1]), axis0]); // [1, S]
  const mask = g.one("LessOrEqual", [kPos, qPos]); // [T, S]

  const splitHeads = (t: string) =>
    g.one("Transpose", [g.one("Reshape", [t, heads])], { perm: [0, 2, 1, 3] });
  for (let i = 0; i < a.n_layer; i++) {
    const p = `transformer.h.${i}`;
    const h = layerNorm(x, `${p}.ln_1`);
    const [q, k, v] = g.node("Split", [linear(h, `${p}.attn.c_attn`), splitSizes], { axis: 2 }, [
      `q_${i}`,
      `k_${i}`,
      `v_${i}`,
    ]);
    const keys = g.one(
      "Concat",
      [`past_key_values.${i}.key`, splitHeads(k)],
      { axis: 2 },
      `present.${i}.key`,
    );
    const values = g.one(
      "Concat",
      [`past_key_values.${i}.value`, splitHeads(v)],
      { axis: 2 },
      `present.${i}.value`,
    );
    const scores = g.one("Mul", [
      g.one("MatMul", [splitHeads(q), g.one("Transpose", [keys], { perm: [0, 1, 3, 2] })]),
      scale,
    ]);
    const att = g.one("Softmax", [g.one("Where", [mask, scores, negInf])], { axis: -1 });
    const y = g.one("Reshape", [
      g.one("Transpose", [g.one("MatMul", [att, values])], { perm: [0, 2, 1, 3] }),
      merged,
    ]);
    x = g.one("Add", [x, linear(y, `${p}.attn.c_proj`)]);
    // nn.GELU(): the exact erf form
    const f = linear(layerNorm(x, `${p}.ln_2`), `${p}.mlp.c_fc`);
    const gelu = g.one("Mul", [
      g.one("Mul", [f, half]),
      g.one("Add", [g.one("Erf", [g.one("Div", [f, sqrt2])]), one]),
    ]);
    x = g.one("Add", [x, linear(gelu, `${p}.mlp.c_proj`)]);
  }
  const xf = layerNorm(x, "transformer.ln_f");
  const wteT = g.one("Transpose", ["transformer.wte.weight"], { perm: [1, 0] });
  g.one("MatMul", [xf, wteT], {}, "logits");

  const cacheIn = (i: number, kv: string) =>
    valueInfo(`past_key_values.${i}.${kv}`, FLOAT, ["batch_size", nh, "past_sequence_length", hs]);
  const cacheOut = (i: number, kv: string) =>
    valueInfo(`present.${i}.${kv}`, FLOAT, ["batch_size", nh, "past_sequence_length + sequence_length", hs]);
  const layers = Array.from({ length: a.n_layer }, (_, i) => i);
  const graph = {
    name: "crystallm_decoder",
    node: g.nodes,
    initializer: g.initializers,
    input: [
      valueInfo("input_ids", INT64, ["batch_size", "sequence_length"]),
      valueInfo("position_ids", INT64, ["batch_size", "sequence_length"]),
      ...layers.flatMap((i) => [cacheIn(i, "key"), cacheIn(i, "value")]),
    ],
    output: [
      valueInfo("logits", FLOAT, ["batch_size", "sequence_length", a.vocab_size]),
      ...layers.flatMap((i) => [cacheOut(i, "key"), cacheOut(i, "value")]),
    ],
  };
  return {
    irVersion: 8,
    opsetImport: [{ domain: "", version: opset }],
    producerName: "crystallm-harness",
    graph,
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
}
