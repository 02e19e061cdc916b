/**
 * The GPU check's CPU dry run (it is prepared and run on CPU first): the
 * script runs end to end at small sizes on `--device cpu` and writes every section of its JSON,
 * so it does not rot between the rare sessions that have a GPU.
 */
import assert from "node:assert/strict";
import { NO_LIBTORCH } from "../ffi/_test_utils.ts";
import { PYTHON } from "../tests/python.ts";

Deno.test("bench/gpu_check.ts --small --device cpu writes parity, train and sample figures", {
  ignore: NO_LIBTORCH,
}, async () => {
  const out = await Deno.makeTempFile({ suffix: ".json" });
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./gpu_check.ts", import.meta.url).pathname,
      "--small",
      "--device",
      "cpu",
      "--only",
      "parity,train,sample",
      "--out",
      out,
      "--python",
      PYTHON,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { CRYSTALLM_NUM_THREADS: "2" },
  }).output();
  const log = new TextDecoder().decode(r.stderr);
  assert.equal(r.code, 0, log.slice(-2000));
  const report = JSON.parse(await Deno.readTextFile(out));
  await Deno.remove(out);
  // on the CPU, "GPU" and CPU are the same arithmetic: exact agreement is the only right answer
  assert.equal(report.parity.logits_f32_vs_cpu_max_abs, 0);
  assert.ok(
    report.parity.logits_f32_vs_oracle_max_abs <= 1e-4,
    String(report.parity.logits_f32_vs_oracle_max_abs),
  );
  assert.equal(report.parity.train_steps.weights_after_5_steps_max_abs, 0);
  assert.equal(report.parity.gpu_trained_ckpt_on_cpu_max_abs, 0);
  assert.equal(report.parity.samples_batch16_vs_4x4_identical, "16/16");
  assert.ok(report.parity.bf16_loss_ok, String(report.parity.loss_bf16_vs_f32_max_abs));
  const train = report.train.float32, sample = report.sample.float32;
  assert.ok(train.ours.tokens_per_s > 0 && train.ours.mfu > 0, JSON.stringify(train.ours));
  assert.ok(sample.ours.tokens > 0 && sample.ours.tokens_per_s > 0);
  // the PyTorch references ran where python3-torch is installed (CI installs it)
  for (const ref of [train.ref_eager, sample.ref_upstream_loop]) assert.ok(!ref.error, JSON.stringify(ref));
});
