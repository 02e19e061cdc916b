/**
 * The fused CPU kernels (ffi/kernels.cpp: attention, GELU, split linear layers, AdamW)
 * against libtorch's operators: the same model, data and step run in two processes, one
 * with CRYSTALLM_CPU_KERNELS=off (libtorch's SDPA, GELU, linear and op-by-op AdamW, with
 * their autograd backward passes, as before the kernels existed).
 *
 * Gradients are compared through one optimizer step whose update is proportional to them:
 * AdamW with beta1 = beta2 = 0, no weight decay and eps = 1 moves each parameter by
 * -lr * g / (|g| + 1), so p_before - p_after recovers g elementwise as d / (lr - |d|).
 *
 * @module
 */
import assert from "node:assert/strict";
import { createModel, loadLibrary } from "./mod.ts";
import { NO_LIBTORCH, RUNTIME } from "./_test_utils.ts";

// the kernels need x86-64 with AVX2 and FMA; elsewhere libtorch's operators run anyway
const opts = {
  ignore: NO_LIBTORCH || RUNTIME?.cpu_kernels === "unavailable",
  sanitizeResources: false,
  sanitizeOps: false,
};

const TRAIN_LR = 1e-3;

interface Case {
  n_layer: number;
  n_head: number;
  n_embd: number;
  block_size: number;
  B: number;
  T: number;
}

interface Result {
  kernels: string;
  logits: number[];
  loss: number;
  grads: Record<string, number[]>;
  /** Every parameter after three more steps of AdamW as configured for training. */
  trained: Record<string, number[]>;
}

/** Child side: forward, then one proportional step; prints logits, loss and gradients. */
async function measure(c: Case): Promise<Result> {
  const info = loadLibrary({ path: Deno.env.get("CRYSTALLM_LIB") ?? undefined, numThreads: 2 });
  using model = createModel({ ...c, vocab_size: 371, bias: true, dropout: 0, seed: 11 });
  let s = 12345;
  const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) % 371;
  const x = Int32Array.from({ length: c.B * c.T }, rand);
  const y = Int32Array.from({ length: c.B * c.T }, rand);
  const { logits, loss } = await model.forward(x, c.B, c.T, { targets: y });
  const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const tensors = model.tensors().map((t) => ({ name: t.name, n: numel(t.shape) }));
  const before = new Map(tensors.map((t) => [t.name, model.read(t.name, t.n)]));
  model.createOptimizer({ beta1: 0, beta2: 0, eps: 1, weight_decay: 0 });
  const lr = 1;
  await model.trainStep(x, y, { micro: 1, B: c.B, T: c.T, lr, grad_clip: 0 });
  const grads: Record<string, number[]> = {};
  for (const t of tensors) {
    const after = model.read(t.name, t.n);
    grads[t.name] = Array.from(before.get(t.name)!, (p, i) => {
      const d = p - after[i];
      return d / (lr - Math.abs(d));
    });
  }
  // three steps as in training: betas (0.9, 0.95), clipping, bias correction, and a weight
  // decay large enough (lr * wd = 1 % a step) that getting it wrong shows
  model.createOptimizer({ weight_decay: 10 });
  for (let i = 0; i < 3; i++) {
    await model.trainStep(x, y, { micro: 1, B: c.B, T: c.T, lr: TRAIN_LR, grad_clip: 1 });
  }
  const trained = Object.fromEntries(tensors.map((t) => [t.name, Array.from(model.read(t.name, t.n))]));
  return { kernels: info.cpu_kernels, logits: Array.from(logits!), loss, grads, trained };
}

async function run(c: Case, kernels: "on" | "off"): Promise<Result> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--child", JSON.stringify(c)],
    env: { CRYSTALLM_CPU_KERNELS: kernels },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `child (kernels ${kernels}) failed: ${err}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

function maxRelError(a: number[], b: number[]): number {
  let scale = 1e-30, err = 0;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i] - b[i]));
  return err / scale;
}

if (Deno.args[0] === "--child") {
  console.log(JSON.stringify(await measure(JSON.parse(Deno.args[1]))));
} else {
  for (
    const c of [
      // head size 16, T not a multiple of the 4-row or 16-column tiles
      { n_layer: 2, n_head: 2, n_embd: 32, block_size: 40, B: 3, T: 37 },
      // the benchmark's head size 64 at the benchmark's length
      { n_layer: 1, n_head: 4, n_embd: 256, block_size: 256, B: 2, T: 256 },
      // T = 1 and T = 2, the smallest cases
      { n_layer: 1, n_head: 1, n_embd: 16, block_size: 8, B: 2, T: 1 },
      { n_layer: 1, n_head: 1, n_embd: 16, block_size: 8, B: 2, T: 2 },
    ]
  ) {
    Deno.test(
      `fused CPU kernels = libtorch operators: logits, loss and every gradient (${JSON.stringify(c)})`,
      opts,
      async () => {
        assert.match(RUNTIME!.torch_version, /\d/);
        const [fused, sdpa] = await Promise.all([run(c, "on"), run(c, "off")]);
        assert.equal(fused.kernels, "avx2");
        assert.equal(sdpa.kernels, "off");
        assert.ok(maxRelError(fused.logits, sdpa.logits) < 1e-5, "logits");
        assert.ok(
          Math.abs(fused.loss - sdpa.loss) < 1e-5 * Math.abs(sdpa.loss),
          `loss ${fused.loss} vs ${sdpa.loss}`,
        );
        assert.deepEqual(Object.keys(fused.grads), Object.keys(sdpa.grads));
        for (const name of Object.keys(sdpa.grads)) {
          const e = maxRelError(fused.grads[name], sdpa.grads[name]);
          if (Deno.env.get("DEBUG_ATTN")) console.error(name, e);
          // gradients recovered from float32 parameters: ~1e-6 of the largest entry is the floor
          assert.ok(e < 1e-3, `${name}: max error ${e.toExponential(2)} of the largest gradient`);
        }
        for (const name of Object.keys(sdpa.trained)) {
          // Adam moves each entry by about lr per step whatever its gradient's size, so the
          // error is measured in units of the 3 steps' lr. Entries whose gradient is rounding
          // noise (the key bias's is zero in exact arithmetic: softmax ignores a per-row
          // constant) take Adam steps of noise and are skipped.
          const g = sdpa.grads[name];
          const gmax = g.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
          const a = fused.trained[name], b = sdpa.trained[name];
          let e = 0;
          for (let i = 0; i < b.length; i++) {
            if (Math.abs(g[i]) > 1e-2 * gmax) e = Math.max(e, Math.abs(a[i] - b[i]));
          }
          assert.ok(e < 0.05 * 3 * TRAIN_LR, `${name} after 3 AdamW steps: off by ${e.toExponential(2)}`);
        }
        // the step moved the attention weights: a zero gradient would have passed trivially
        const qkv = sdpa.grads["transformer.h.0.attn.c_attn.weight"];
        assert.ok(qkv.some((g) => Math.abs(g) > 1e-4), "c_attn gradient is not negligible");
      },
    );
  }
}
