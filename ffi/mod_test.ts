import assert from "node:assert/strict";
import { createModel, FfiError, type Model, runtimeInfo, Status } from "./mod.ts";
import { NO_LIBTORCH, RUNTIME } from "./_test_utils.ts";

const TINY = { n_layer: 2, n_head: 2, n_embd: 32, block_size: 32, vocab_size: 50 };
const opts = { ignore: NO_LIBTORCH };

Deno.test("loadLibrary() reports libtorch, threads and the attention kernel", opts, () => {
  const info = runtimeInfo();
  assert.match(info.torch_version, /^\d+\.\d+\.\d+$/);
  assert.ok(info.num_threads >= 1);
  assert.ok([0, 1].includes(info.cxx11_abi));
  assert.match(info.sdpa, /scaled_dot_product_attention/);
  assert.ok(["avx2", "off", "unavailable"].includes(info.cpu_kernels), info.cpu_kernels);
  console.log(
    `  libtorch ${RUNTIME?.torch_version}, ${info.num_threads} threads, ${info.sdpa}, CPU kernels ${info.cpu_kernels}`,
  );
});

Deno.test("createModel() names tensors as upstream's state dict", opts, () => {
  using model = createModel(TINY);
  const names = model.tensors().map((t) => t.name);
  assert.equal(names[0], "transformer.wte.weight");
  assert.ok(names.includes("transformer.h.1.attn.c_attn.weight"));
  assert.ok(names.includes("transformer.h.1.mlp.c_proj.bias"));
  assert.equal(names.at(-1), "transformer.ln_f.bias");
  assert.ok(!names.includes("lm_head.weight")); // tied to wte
  using noBias = createModel({ ...TINY, bias: false });
  assert.ok(!noBias.tensors().some((t) => t.name.endsWith(".bias")));
});

Deno.test("C++ errors become FfiError and the process survives", opts, async (t) => {
  await t.step("bad config", () => {
    assert.throws(() => createModel({ ...TINY, n_head: 3 }), (e: FfiError) => {
      assert.ok(e instanceof FfiError);
      assert.equal(e.status, Status.ARGUMENT);
      assert.equal(e.fn, "cllm_model_new");
      assert.match(e.message, /not divisible by n_head 3/);
      return true;
    });
  });
  await t.step("sequence longer than the block", async () => {
    using model = createModel(TINY);
    await assert.rejects(() => model.forward(new Int32Array(33), 1, 33), /block size is only 32/);
  });
  await t.step("token id out of range is a libtorch error", async () => {
    using model = createModel(TINY);
    await assert.rejects(
      () => model.forward(new Int32Array([1, 99]), 1, 2),
      (e: FfiError) => e.status === Status.TORCH,
    );
  });
  await t.step("train step without optimizer", async () => {
    using model = createModel(TINY);
    const x = new Int32Array(4);
    await assert.rejects(
      () => model.trainStep(x, x, { micro: 1, B: 1, T: 4, lr: 1e-3, grad_clip: 1 }),
      (e: FfiError) => e.status === Status.STATE,
    );
  });
  await t.step("unknown tensor and CUDA on a CPU build", () => {
    using model = createModel(TINY);
    assert.throws(() => model.read("nope", 1), /Unknown tensor name: nope/);
    if (!runtimeInfo().cuda_available) {
      assert.throws(() => createModel({ ...TINY, device: "cuda" }), /no CUDA device/);
    }
  });
});

async function greedyByForward(model: Model, prompt: number[], steps: number): Promise<number[]> {
  const ids = [...prompt];
  const V = model.config.vocab_size;
  for (let s = 0; s < steps; s++) {
    const ctx = ids.slice(-model.config.block_size); // upstream crops to the last block_size
    const { logits } = await model.forward(Int32Array.from(ctx), 1, ctx.length);
    const last = logits!.subarray((ctx.length - 1) * V, ctx.length * V);
    let best = 0;
    for (let v = 1; v < V; v++) if (last[v] > last[best]) best = v;
    ids.push(best);
  }
  return ids.slice(prompt.length);
}

Deno.test(
  "generate() with the KV cache matches full forward passes (greedy), also past block_size",
  opts,
  async () => {
    using model = createModel({ ...TINY, seed: 7 });
    const prompt = [3, 4, 5];
    // 40 new tokens: the window slides past block_size 32 after 29
    const expected = await greedyByForward(model, prompt, 40);
    const [got] = await model.generate(prompt, 1, { top_k: 1, max_new_tokens: 40 });
    assert.deepEqual(got, expected);
  },
);

Deno.test("generate() gives sample k the same tokens however the batch is cut", opts, async () => {
  using model = createModel({ ...TINY, seed: 3 });
  const o = { seed: 42, max_new_tokens: 30, temperature: 1.3 };
  const all = await model.generate([1, 2], 6, o);
  const parts = [
    ...(await model.generate([1, 2], 2, { ...o, first_index: 0 })),
    ...(await model.generate([1, 2], 1, { ...o, first_index: 2 })),
    ...(await model.generate([1, 2], 3, { ...o, first_index: 3 })),
  ];
  assert.deepEqual(parts, all);
  assert.notDeepEqual(all[0], all[1]);
  const other = await model.generate([1, 2], 1, { ...o, seed: 43 });
  assert.notDeepEqual(other[0], all[0]);
});

Deno.test("generate() stops right after two consecutive stop tokens, keeping both", opts, async () => {
  using model = createModel({ ...TINY, vocab_size: 3, seed: 1 });
  // a prompt ending in the stop token does not count: upstream's prev_id starts as None
  const out = await model.generate([0, 1], 8, { stop_id: 1, max_new_tokens: 200, seed: 5 });
  for (const s of out) {
    // with 3 tokens a "\n\n" comes quickly: each sample ends with its first stop pair
    const text = s.join(",");
    assert.ok(
      s.length < 200 && text.endsWith("1,1") && text.indexOf("1,1") === text.length - 3,
      `sample: ${text}`,
    );
  }
});

Deno.test("trainStep() lowers the loss and accumulation equals one big batch", opts, async () => {
  const x = Int32Array.from({ length: 4 * 16 }, (_, i) => (i * 7) % 50);
  const y = x.map((v) => (v * 3 + 1) % 50);
  const losses: number[] = [];
  {
    using model = createModel({ ...TINY, seed: 11 });
    model.createOptimizer({ weight_decay: 0.1 });
    for (let i = 0; i < 20; i++) {
      losses.push((await model.trainStep(x, y, { micro: 1, B: 4, T: 16, lr: 3e-3, grad_clip: 1 })).loss);
    }
    assert.ok(losses.at(-1)! < losses[0] - 0.5, `loss ${losses[0]} -> ${losses.at(-1)}`);
  }
  using a = createModel({ ...TINY, seed: 11 });
  using b = createModel({ ...TINY, seed: 11 });
  a.createOptimizer();
  b.createOptimizer();
  await a.trainStep(x, y, { micro: 1, B: 4, T: 16, lr: 1e-3, grad_clip: 0 });
  await b.trainStep(x, y, { micro: 2, B: 2, T: 16, lr: 1e-3, grad_clip: 0 });
  const wa = a.read("transformer.wte.weight", 50 * 32);
  const wb = b.read("transformer.wte.weight", 50 * 32);
  let maxDiff = 0;
  for (let i = 0; i < wa.length; i++) maxDiff = Math.max(maxDiff, Math.abs(wa[i] - wb[i]));
  assert.ok(maxDiff < 1e-6, `accumulated step differs by ${maxDiff}`);
  assert.equal(a.read("step/transformer.wte.weight", 1)[0], 1);
});

Deno.test("trainStep() runs under bfloat16 autocast", opts, async () => {
  using model = createModel({ ...TINY, dtype: "bfloat16" });
  model.createOptimizer();
  const x = new Int32Array(32).map((_, i) => i % 50);
  const r = await model.trainStep(x, x, { micro: 1, B: 2, T: 16, lr: 1e-3, grad_clip: 1 });
  assert.ok(Number.isFinite(r.loss) && Number.isFinite(r.gradNorm));
  const { loss } = await model.forward(x, 2, 16, { targets: x, logits: false });
  assert.ok(Number.isFinite(loss));
});

Deno.test(
  "trainStepAsync() + flushTrainStats() give trainStep()'s losses, norms and weights",
  opts,
  async () => {
    // two identical models: one reads every step back, the other defers (the CUDA path's way
    // of never waiting for the GPU); the arithmetic must not depend on when values are read
    using a = createModel({ ...TINY, seed: 5 });
    using b = createModel({ ...TINY, seed: 5 });
    a.createOptimizer();
    b.createOptimizer();
    const B = 2, T = 16;
    const expected = [];
    for (let s = 0; s < 4; s++) {
      const x = Int32Array.from({ length: B * T }, (_, i) => (i * 7 + s * 3) % TINY.vocab_size);
      const y = Int32Array.from({ length: B * T }, (_, i) => (i * 5 + s) % TINY.vocab_size);
      const shape = { micro: 1, B, T, lr: 1e-2, grad_clip: 0.1 };
      expected.push(await a.trainStep(x, y, shape));
      await b.trainStepAsync(x, y, shape);
    }
    const got = await b.flushTrainStats();
    assert.deepEqual(got, expected);
    assert.deepEqual(await b.flushTrainStats(), []); // flushed once
    for (const t of a.tensors()) {
      const n = t.shape.reduce((p, q) => p * q, 1);
      assert.deepEqual(b.read(t.name, n), a.read(t.name, n), t.name);
    }
    // a clip of 0.1 scaled every step: the norms before clipping are above it
    assert.ok(got.every((s) => s.gradNorm > 0.1), JSON.stringify(got));
  },
);

Deno.test("flushTrainStats() refuses a buffer smaller than the pending steps", opts, async () => {
  using m = createModel(TINY);
  m.createOptimizer();
  const x = new Int32Array(16).fill(1);
  for (let i = 0; i < 3; i++) await m.trainStepAsync(x, x, { micro: 1, B: 1, T: 16, lr: 1e-3, grad_clip: 1 });
  await assert.rejects(() => m.flushTrainStats(2), /3 pending train steps, buffers hold 2/);
  assert.equal((await m.flushTrainStats(3)).length, 3);
});
