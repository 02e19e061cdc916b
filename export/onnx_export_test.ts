import assert from "node:assert/strict";
import * as ort from "npm:onnxruntime-node@1.30.0";
import { loadModel, readCheckpoint, writeCheckpoint } from "../checkpoint/mod.ts";
import type { Checkpoint } from "../checkpoint/mod.ts";
import { NO_LIBTORCH } from "../ffi/_test_utils.ts";
import { OnnxDecoder } from "../onnx/session.ts";
import { buildDecoderModel, decodeModel, encodeModel } from "./onnx_graph.ts";
import type { IValueInfoProto } from "./onnx_proto.ts";
import { exportOnnx, META } from "./onnx_export.ts";
import { sha256 } from "../core/hash.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const TINY = `${ROOT}../shared/oracle/model/ckpt_tiny.pt`;
const BASE = `${ROOT}fixtures/base/ckpt.pt`;
const ORACLE = `${ROOT}../shared/oracle/model/`;
const TOL = 1e-4;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function exported(ckpt: string, dir: string, name: string): Promise<string> {
  const out = `${dir}/${name}.onnx`;
  await exportOnnx({ ckpt, out });
  return out;
}

Deno.test("export onnx: Optimum's names, dynamic shapes, opset 17, metadata, and a protobuf round trip", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = await exported(TINY, dir, "tiny");
    const bytes = await Deno.readFile(path);
    const m = decodeModel(bytes);
    // the default domain is "" (protobuf leaves an empty string out)
    assert.deepEqual(m.opsetImport!.map((o) => ({ domain: o.domain ?? "", version: o.version })), [
      { domain: "", version: 17 },
    ]);
    // the protobuf round-trips byte for byte
    assert.deepEqual(encodeModel(m), bytes);
    const meta = new Map(m.metadataProps!.map((p) => [p.key, p.value]));
    assert.equal(meta.get(META.checkpoint_sha256), sha256(await Deno.readFile(TINY)));
    assert.equal(meta.get(META.vocab_size), "371");
    assert.deepEqual(JSON.parse(meta.get(META.model_args)!), {
      n_layer: 2,
      n_head: 2,
      n_embd: 64,
      block_size: 128,
      bias: true,
      vocab_size: 371,
      dropout: 0,
    });
    const dims = (v: IValueInfoProto) =>
      v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam ?? Number(d.dimValue));
    const inputs = Object.fromEntries(m.graph!.input!.map((v) => [v.name, dims(v)]));
    const outputs = Object.fromEntries(m.graph!.output!.map((v) => [v.name, dims(v)]));
    assert.deepEqual(inputs, {
      input_ids: ["batch_size", "sequence_length"],
      position_ids: ["batch_size", "sequence_length"],
      "past_key_values.0.key": ["batch_size", 2, "past_sequence_length", 32],
      "past_key_values.0.value": ["batch_size", 2, "past_sequence_length", 32],
      "past_key_values.1.key": ["batch_size", 2, "past_sequence_length", 32],
      "past_key_values.1.value": ["batch_size", 2, "past_sequence_length", 32],
    });
    const present = ["batch_size", 2, "past_sequence_length + sequence_length", 32];
    assert.deepEqual(outputs, {
      logits: ["batch_size", "sequence_length", 371],
      "present.0.key": present,
      "present.0.value": present,
      "present.1.key": present,
      "present.1.value": present,
    });
    const ops = new Set(m.graph!.node!.map((n) => n.opType));
    assert.ok(ops.has("LayerNormalization"));
    // weights are initializers holding the checkpoint's values; lm_head is wte (tied), stored once
    const ckpt = await readCheckpoint(TINY);
    const inits = new Map(m.graph!.initializer!.map((t) => [t.name, t]));
    for (const [name, t] of ckpt.model) {
      const init = inits.get(name)!;
      assert.deepEqual(init.dims, t.shape, name);
      const raw = init.rawData!;
      assert.deepEqual(new Float32Array(raw.slice().buffer), t.data, name);
    }
    assert.ok(!inits.has("lm_head.weight"));

    // onnxruntime-node reads it with the same names, and its outputs have the promised shapes
    const session = await ort.InferenceSession.create(path);
    try {
      assert.deepEqual(session.inputNames, Object.keys(inputs));
      assert.deepEqual(session.outputNames, Object.keys(outputs));
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor("int64", new BigInt64Array([124n, 48n, 90n, 124n, 20n, 90n]), [2, 3]),
        position_ids: new ort.Tensor("int64", new BigInt64Array([0n, 1n, 2n, 0n, 1n, 2n]), [2, 3]),
      };
      for (const k of Object.keys(inputs).slice(2)) {
        feeds[k] = new ort.Tensor("float32", new Float32Array(0), [2, 2, 0, 32]);
      }
      const out = await session.run(feeds);
      assert.deepEqual(out.logits.dims, [2, 3, 371]);
      assert.deepEqual(out["present.1.value"].dims, [2, 2, 3, 32]);
    } finally {
      await session.release();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export onnx: refuses opsets without LayerNormalization; 17 and 21 give the same logits", async () => {
  const ckpt = await readCheckpoint(TINY);
  assert.throws(() => buildDecoderModel(ckpt, { opset: 16 }), /opset 16/);
  assert.throws(() => buildDecoderModel(ckpt, { opset: 22 }), /opset 22/);
  const logits: Float32Array[] = [];
  for (const opset of [17, 21]) {
    const bytes = encodeModel(buildDecoderModel(ckpt, { opset }));
    assert.equal(decodeModel(bytes).opsetImport![0].version, opset);
    const session = await ort.InferenceSession.create(bytes);
    try {
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor("int64", new BigInt64Array([124n, 48n, 90n]), [1, 3]),
        position_ids: new ort.Tensor("int64", new BigInt64Array([0n, 1n, 2n]), [1, 3]),
      };
      for (const name of session.inputNames.slice(2)) {
        feeds[name] = new ort.Tensor("float32", new Float32Array(0), [1, 2, 0, 32]);
      }
      logits.push((await session.run(feeds)).logits.data as Float32Array);
    } finally {
      await session.release();
    }
  }
  assert.ok(maxAbsDiff(logits[0], logits[1]) < 1e-6);
});

Deno.test("export onnx: logits of ckpt_tiny match upstream's oracle logits within 1e-4", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const oracle = JSON.parse(await Deno.readTextFile(`${ORACLE}logits.json`));
    const bin = new Float32Array((await Deno.readFile(`${ORACLE}logits.bin`)).buffer);
    const decoder = await OnnxDecoder.open(await exported(TINY, dir, "tiny"));
    try {
      for (const e of oracle.entries.filter((e: { model: string }) => e.model === "ckpt_tiny")) {
        const [B, T] = e.shape;
        const ids = (B === 1 ? [e.input_ids] : e.input_ids).flat();
        const { logits } = await decoder.step(ids, B, T, decoder.emptyCache(B));
        const d = maxAbsDiff(logits, bin.subarray(e.offset_floats, e.offset_floats + e.n_floats));
        assert.ok(d < TOL, `${e.name}: max |Δlogit| ${d}`);
      }
    } finally {
      await decoder.release();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A prompt, then decode steps one token at a time through the cache, against libtorch's full forward. */
async function compareWithLibtorch(ckptPath: string, ckpt: Checkpoint, onnxPath: string, steps: number) {
  const decoder = await OnnxDecoder.open(onnxPath);
  using model = loadModel(ckpt, { onNotice: () => {} });
  const V = ckpt.model_args.vocab_size;
  const bytes = await Deno.readFile(`${ROOT}../shared/oracle/tokenizer/train.bin`);
  const stream = Array.from(new Uint16Array(bytes.buffer, 0, 4000));
  // two rows with different prompts, 40 prompt tokens each
  const B = 2, P = 40;
  const seqs = [stream.slice(0, P + steps), stream.slice(1000, 1000 + P + steps)];
  const libtorch = async (L: number) => {
    const x = new Int32Array(seqs.flatMap((s) => s.slice(0, L)));
    return (await model.forward(x, B, L, {})).logits!;
  };
  let worst = 0;
  try {
    let { logits, cache } = await decoder.step(
      seqs.flatMap((s) => s.slice(0, P)),
      B,
      P,
      decoder.emptyCache(B),
    );
    const ref = await libtorch(P);
    worst = Math.max(worst, maxAbsDiff(logits, ref));
    for (let t = 0; t < steps; t++) {
      const L = P + t + 1;
      ({ logits, cache } = await decoder.step(seqs.map((s) => s[L - 1]), B, 1, cache));
      assert.equal(cache.length, L);
      const full = await libtorch(L);
      const last = new Float32Array(B * V);
      for (let b = 0; b < B; b++) last.set(full.subarray((b * L + L - 1) * V, (b * L + L) * V), b * V);
      worst = Math.max(worst, maxAbsDiff(logits, last));
    }
  } finally {
    await decoder.release();
  }
  assert.ok(worst < TOL, `${ckptPath}: max |Δlogit| ${worst} over the prompt and ${steps} cached steps`);
  return worst;
}

Deno.test(
  "export onnx: prompt and cached decode logits match the libtorch engine within 1e-4 (ckpt_tiny, fixtures/base)",
  {
    ignore: NO_LIBTORCH,
  },
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      for (const [name, path] of [["tiny", TINY], ["base", BASE]]) {
        const d = await compareWithLibtorch(
          path,
          await readCheckpoint(path),
          await exported(path, dir, name),
          12,
        );
        console.log(`${name}: max |Δlogit| onnx vs libtorch ${d.toExponential(2)}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "export onnx: a bias=False model matches the libtorch engine within 1e-4",
  { ignore: NO_LIBTORCH },
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const ckpt = await readCheckpoint(TINY);
      const noBias: Checkpoint = {
        ...ckpt,
        model_args: { ...ckpt.model_args, bias: false },
        model: new Map([...ckpt.model].filter(([k]) => !k.endsWith(".bias"))),
        optimizer: null,
      };
      const path = `${dir}/nobias.pt`;
      await writeCheckpoint(path, noBias);
      const onnxPath = await exported(path, dir, "nobias");
      const ops = decodeModel(await Deno.readFile(onnxPath)).graph!.node!;
      assert.ok(ops.filter((n) => n.opType === "LayerNormalization").every((n) => n.input!.length === 2));
      await compareWithLibtorch(path, noBias, onnxPath, 4);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
