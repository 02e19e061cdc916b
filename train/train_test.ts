import assert from "node:assert/strict";
import { readCheckpoint } from "../checkpoint/mod.ts";
import { NO_LIBTORCH } from "../ffi/_test_utils.ts";
import {
  learningRate,
  resolveTrainConfig,
  train,
  TRAIN_DEFAULTS,
  TrainConfigError,
  TrainDataError,
} from "./mod.ts";

const TOKENS = new URL("../../shared/oracle/tokenizer/", import.meta.url).pathname;
const opts = { ignore: NO_LIBTORCH };
const quiet = { progress: false, log: () => {} };

/** A tiny model on the oracle's token files: a few seconds on 2 cores. */
function tiny(outDir: string, extra: Record<string, unknown> = {}) {
  return resolveTrainConfig({
    dataset: TOKENS,
    out_dir: outDir,
    n_layer: 2,
    n_head: 2,
    n_embd: 32,
    block_size: 32,
    batch_size: 8,
    bias: true,
    learning_rate: 3e-3,
    decay_lr: false,
    max_iters: 30,
    eval_interval: 10,
    eval_iters_train: 2,
    eval_iters_val: 2,
    validate: true,
    always_save_checkpoint: true,
    num_threads: 2,
    ...extra,
  });
}

Deno.test("resolveTrainConfig() accepts upstream keys and names unknown keys", () => {
  const c = resolveTrainConfig({ batch_size: 4, dtype: "bfloat16" }, {
    sets: ["max_iters=10", "decay_lr=false"],
  });
  assert.equal(c.batch_size, 4);
  assert.equal(c.max_iters, 10);
  assert.equal(c.decay_lr, false);
  assert.throws(
    () => resolveTrainConfig({ n_layers: 4 }, { source: "x.yaml" }),
    /Unknown key n_layers in x.yaml/,
  );
  assert.throws(() => resolveTrainConfig({}, { sets: ["batch_size=abc"] }), TrainConfigError);
});

Deno.test("learningRate() warms up linearly, then decays by cosine to min_lr", () => {
  const c = { ...TRAIN_DEFAULTS, learning_rate: 1e-3, min_lr: 1e-4, warmup_iters: 10, lr_decay_iters: 110 };
  assert.equal(learningRate(0, c), 0);
  assert.equal(learningRate(10, c), 1e-3);
  assert.ok(Math.abs(learningRate(60, c) - 5.5e-4) < 1e-12);
  assert.equal(learningRate(111, c), 1e-4);
  assert.equal(learningRate(50, { ...c, decay_lr: false }), 1e-3);
});

Deno.test("train() lowers the loss, writes ckpt.pt and train_log.csv, reports a manifest", opts, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const result = await train(tiny(dir), quiet);
    assert.equal(result.iter_num, 31);
    const first = result.log.slice(0, 3).reduce((a, r) => a + r.train_loss, 0) / 3;
    const last = result.log.slice(-3).reduce((a, r) => a + r.train_loss, 0) / 3;
    assert.ok(last < first - 1, `loss ${first} -> ${last}`);
    const csv = (await Deno.readTextFile(`${dir}/train_log.csv`)).trim().split("\n");
    assert.equal(csv[0], "iteration,lr,train_loss,val_loss,tokens_per_s");
    assert.equal(csv.length, 32);
    // the report is the caller's to write (crystallm train, or the run's stage manifest)
    assert.ok(!(await Deno.stat(`${dir}/manifest.json`).then(() => true, () => false)));
    const manifest = JSON.parse(JSON.stringify(result.manifest));
    assert.equal(manifest.checkpoint.iter_num, 30);
    assert.match(manifest.checkpoint.sha256, /^[0-9a-f]{64}$/);
    assert.match(manifest.data.train_bin.sha256, /^[0-9a-f]{64}$/);
    assert.ok(manifest.libtorch.version);
    const ckpt = await readCheckpoint(dir);
    assert.equal(ckpt.iter_num, 30);
    assert.equal(ckpt.config.n_embd, 32);
    assert.ok(ckpt.best_val_loss < 5);
    assert.ok(ckpt.optimizer && ckpt.optimizer.state.size > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "train() resume continues the uninterrupted loss curve; finetune resets the counter",
  opts,
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const straight = await train(tiny(`${dir}/a`, { max_iters: 20 }), quiet);
      await train(tiny(`${dir}/b`, { max_iters: 10 }), quiet); // saves at iter 10, then steps once more
      const resumed = await train(tiny(`${dir}/b`, { max_iters: 20, init_from: "resume" }), quiet);
      assert.equal(resumed.mode, "resume");
      assert.equal(resumed.log[0].iteration, 10);
      for (const r of resumed.log) {
        const s = straight.log.find((x) => x.iteration === r.iteration)!;
        assert.ok(
          Math.abs(s.train_loss - r.train_loss) < 1e-5,
          `iter ${r.iteration}: ${s.train_loss} vs resumed ${r.train_loss}`,
        );
      }
      const csv = (await Deno.readTextFile(`${dir}/b/train_log.csv`)).trim().split("\n");
      assert.equal(csv.length, 22); // header + iterations 0..20, no duplicates
      const ft = await train(
        tiny(`${dir}/c`, { max_iters: 10, init_from: `${dir}/a`, block_size: 16 }),
        quiet,
      );
      assert.equal(ft.mode, "finetune");
      assert.equal(ft.log[0].iteration, 0);
      assert.equal((await readCheckpoint(`${dir}/c`)).model_args.block_size, 16);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("train() explains a larger block_size and a too-small dataset", opts, async () => {
  const dir = await Deno.makeTempDir();
  try {
    await train(tiny(`${dir}/a`, { max_iters: 10 }), quiet);
    await assert.rejects(
      () => train(tiny(`${dir}/b`, { init_from: `${dir}/a`, block_size: 64 }), quiet),
      /block_size 64.*trained with block_size 32/,
    );
    const small = `${dir}/small`;
    await Deno.mkdir(small);
    await Deno.writeFile(`${small}/train.bin`, new Uint8Array(40)); // 20 tokens
    await Deno.copyFile(`${TOKENS}/meta.pkl`, `${small}/meta.pkl`); // the vocabulary is never defaulted
    await assert.rejects(
      () => train(tiny(`${dir}/c`, { dataset: small, validate: false }), quiet),
      (e: Error) => e instanceof TrainDataError && /20 tokens.*use block_size <= 19/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train() with deferred loss reads (the CUDA path) writes the same losses, log and checkpoint", opts, async () => {
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir();
  try {
    const extra = { max_iters: 25, log_interval: 7 };
    const now = await train(tiny(a, extra), quiet);
    const later = await train(tiny(b, extra), { ...quiet, deferStats: true });
    assert.deepEqual(later.log.map((r) => [r.iteration, r.train_loss, r.val_loss]), now.log.map((r) => [r.iteration, r.train_loss, r.val_loss]));
    const csv = async (d: string) =>
      (await Deno.readTextFile(`${d}/train_log.csv`)).trim().split("\n").map((l) => l.split(",").slice(0, 4).join());
    assert.equal((await csv(b)).length, 27); // header + iterations 0..25
    assert.deepEqual(await csv(b), await csv(a));
    // the files differ in out_dir (config); the weights and optimizer state do not
    const [ca, cb] = [await readCheckpoint(now.checkpoint!.path), await readCheckpoint(later.checkpoint!.path)];
    assert.equal(cb.iter_num, ca.iter_num);
    for (const [name, t] of ca.model) assert.deepEqual(cb.model.get(name)!.data, t.data, name);
  } finally {
    await Deno.remove(a, { recursive: true });
    await Deno.remove(b, { recursive: true });
  }
});
