import assert from "node:assert/strict";
import {
  CheckpointError,
  optimizerGroups,
  parseCheckpoint,
  readCheckpoint,
  resolveCheckpointPath,
} from "./mod.ts";
import { hasPython, runPython } from "../pickle/_test_utils.ts";

const ORACLE = new URL("../../shared/oracle/model/", import.meta.url).pathname;
const HAS_TORCH = hasPython(["torch"]);
const oracle = JSON.parse(await Deno.readTextFile(`${ORACLE}logits.json`));

Deno.test("readCheckpoint() reads the oracle's ckpt_tiny.pt with the oracle's weights", async () => {
  const ckpt = await readCheckpoint(`${ORACLE}ckpt_tiny.pt`);
  const info = oracle.checkpoints.ckpt_tiny;
  assert.deepEqual(ckpt.model_args, info.model_args);
  // attn.bias buffers and the tied lm_head are derived, not parameters
  assert.ok(![...ckpt.model.keys()].some((k) => k.endsWith(".attn.bias") || k === "lm_head.weight"));
  const weights = new Float32Array((await Deno.readFile(`${ORACLE}weights_ckpt_tiny.bin`)).buffer);
  let compared = 0;
  for (const w of info.weights_index as { name: string; shape: number[]; offset_floats: number }[]) {
    if (w.name.endsWith(".attn.bias") || w.name === "lm_head.weight") continue;
    const t = ckpt.model.get(w.name);
    assert.ok(t, `missing ${w.name}`);
    assert.deepEqual(t.shape, w.shape, w.name);
    const n = t.data.length;
    const ref = weights.subarray(w.offset_floats, w.offset_floats + n);
    for (let i = 0; i < n; i++) {
      if (t.data[i] !== ref[i]) assert.fail(`${w.name}[${i}] = ${t.data[i]}, oracle ${ref[i]}`);
    }
    compared++;
  }
  assert.equal(compared, ckpt.model.size);
  assert.equal(
    info.n_params_get_num_params,
    [...ckpt.model.values()].reduce((a, t) => a + t.data.length, 0) - 128 * 64,
  );
});

Deno.test("readCheckpoint() reads iter_num, a 0-d tensor best_val_loss, config and optimizer state", async () => {
  const ckpt = await readCheckpoint(`${ORACLE}ckpt_tiny_train_py.pt`);
  const info = oracle.checkpoints.ckpt_tiny_train_py;
  assert.equal(ckpt.iter_num, 2);
  assert.ok(Math.abs(ckpt.best_val_loss - info.best_val_loss) < 1e-6);
  assert.equal(ckpt.config.batch_size, 4);
  assert.equal(ckpt.config.dtype, "float32");
  assert.ok(ckpt.optimizer);
  assert.equal(ckpt.optimizer.state.size, info.optimizer_state_entries);
  assert.equal(ckpt.optimizer.lr, 0.001);
  assert.deepEqual(ckpt.optimizer.betas, [0.9, 0.95]);
  assert.equal(ckpt.optimizer.weight_decay, 0.1);
  const s = ckpt.optimizer.state.get("transformer.h.0.attn.c_attn.weight")!;
  assert.equal(s.step, 2);
  assert.deepEqual(s.exp_avg.shape, [192, 64]);
});

Deno.test("optimizerGroups() puts Linear weights in the decay group, sorted, as upstream", () => {
  const [decay, noDecay] = optimizerGroups([
    "transformer.wte.weight",
    "transformer.wpe.weight",
    "transformer.h.0.ln_1.weight",
    "transformer.h.0.attn.c_attn.weight",
    "transformer.h.0.attn.c_attn.bias",
    "transformer.h.0.mlp.c_fc.weight",
    "transformer.ln_f.weight",
  ]);
  assert.deepEqual(decay, ["transformer.h.0.attn.c_attn.weight", "transformer.h.0.mlp.c_fc.weight"]);
  assert.deepEqual(noDecay, [
    "transformer.h.0.attn.c_attn.bias",
    "transformer.h.0.ln_1.weight",
    "transformer.ln_f.weight",
    "transformer.wpe.weight",
    "transformer.wte.weight",
  ]);
});

Deno.test(
  "parseCheckpoint() accepts torch 2.x style files: _orig_mod. prefix, no attn.bias, float best_val_loss",
  {
    ignore: !HAS_TORCH,
  },
  async () => {
    const bytes = await runPython(
      `import torch, io, sys, collections
src = torch.load(sys.argv[1], map_location='cpu')
sd = collections.OrderedDict(('_orig_mod.' + k, v) for k, v in src['model'].items() if not k.endswith('.attn.bias'))
buf = io.BytesIO()
torch.save({'model': sd, 'optimizer': None, 'model_args': src['model_args'], 'iter_num': 7,
            'best_val_loss': 1.25, 'config': {'x': 1}}, buf)
sys.stdout.buffer.write(buf.getvalue())`,
      undefined,
      [`${ORACLE}ckpt_tiny.pt`],
    );
    const ckpt = parseCheckpoint(bytes);
    const ref = await readCheckpoint(`${ORACLE}ckpt_tiny.pt`);
    assert.deepEqual([...ckpt.model.keys()], [...ref.model.keys()]);
    assert.deepEqual(
      ckpt.model.get("transformer.wpe.weight")!.data,
      ref.model.get("transformer.wpe.weight")!.data,
    );
    assert.equal(ckpt.iter_num, 7);
    assert.equal(ckpt.best_val_loss, 1.25);
    assert.equal(ckpt.optimizer, null);
  },
);

Deno.test("parseCheckpoint() rejects files that are not torch zip checkpoints", async (t) => {
  await t.step("bad magic", () => {
    assert.throws(() => parseCheckpoint(new Uint8Array([0x80, 2, 0x7d, 0x2e])), /bad magic 80027d2e/);
  });
  await t.step("broken zip", () => {
    assert.throws(() => parseCheckpoint(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0])), CheckpointError);
  });
  await t.step("missing file", async () => {
    await assert.rejects(() => resolveCheckpointPath("/nonexistent/ckpt.pt"), /does not exist/);
  });
});
