/**
 * The GPU evidence of the CUDA path in one run, written to one JSON file: parity (CUDA
 * float32 against CPU and the upstream oracle, bfloat16 loss, a CUDA-trained checkpoint read
 * on CPU, per-sample streams across batch sizes), training and sampling speed of the 25M
 * configuration against the PyTorch reference (tools/nanogpt_ref.py: eager and
 * torch.compile for training, upstream's one-sample no-cache loop for sampling), and peak
 * GPU memory. Usually run through bench/gpu_check.sh.
 *
 *   deno run -A bench/gpu_check.ts --oracle ../shared/oracle/model --out gpu_check.json
 *   deno run -A bench/gpu_check.ts --small --device cpu --out /tmp/dry.json   # CPU dry run
 *
 * Every figure is measured in this process or a child started by it, in the same minute.
 *
 * @module
 */
import { checkpointFromModel, loadModel, readCheckpoint, writeCheckpoint } from "../checkpoint/mod.ts";
import { loadTokenizer } from "../data/tokenizer.ts";
import { describeDevice } from "../ffi/device.ts";
import { createModel, loadLibrary, type Model, type ModelConfig } from "../ffi/mod.ts";

const args = Deno.args;
const flag = (name: string) => args.includes(`--${name}`);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const small = flag("small");
const device = opt("device", "cuda");
const outPath = opt("out", "gpu_check.json");
const oracleDir = opt("oracle", new URL("../../shared/oracle/model", import.meta.url).pathname).replace(
  /\/$/,
  "",
);
const python = opt("python", Deno.env.get("CRYSTALLM_PYTHON") ?? "python3");
const only = opt("only", "parity,audit,train,sample").split(",");
const REPO = new URL("..", import.meta.url).pathname;
const tmp = await Deno.makeTempDir({ prefix: "gpu_check_" });

// --append: add this run's phases to an existing report (bench/gpu_check.sh runs each phase
// in its own process, under its own time limit)
const report: Record<string, unknown> = flag("append")
  ? await Deno.readTextFile(outPath).then(JSON.parse).catch(() => ({}))
  : {};
Object.assign(report, { date: report.date ?? new Date().toISOString(), device, small });
const save = () => Deno.writeTextFileSync(outPath, JSON.stringify(report, null, 2) + "\n");
const T0 = performance.now();
const log = (s: string) => console.error(`[gpu_check ${((performance.now() - T0) / 1000).toFixed(1)}s] ${s}`);
const runtime = loadLibrary();
report.runtime = runtime;
report.device_info = describeDevice(device, runtime);
save();

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d; // NaN propagates as a failure
  }
  return m;
}

/** Peak GPU memory of this process (or the whole GPU) while fn runs, sampled by nvidia-smi. */
async function withGpuMemory<T>(
  pid: number,
  fn: () => Promise<T>,
): Promise<{ result: T; peak_mib: number | null }> {
  if (!device.startsWith("cuda")) return { result: await fn(), peak_mib: null };
  let child: Deno.ChildProcess | null = null;
  let peak = 0;
  let seen = false;
  try {
    child = new Deno.Command("nvidia-smi", {
      args: ["--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits", "-lms", "200"],
      stdout: "piped",
      stderr: "null",
    }).spawn();
  } catch {
    child = null;
  }
  const reader = (async () => {
    if (!child) return;
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of child.stdout) {
      buf += dec.decode(chunk);
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const [p, mem] = buf.slice(0, nl).split(",").map((s) => s.trim());
        buf = buf.slice(nl + 1);
        if (Number(p) === pid) {
          seen = true;
          peak = Math.max(peak, Number(mem));
        }
      }
    }
  })();
  try {
    const result = await fn();
    await new Promise((r) => setTimeout(r, 400));
    return { result, peak_mib: seen ? peak : null };
  } finally {
    try {
      child?.kill();
    } catch { /* gone */ }
    await reader.catch(() => {});
  }
}

async function runPython(argv: string[], stdin?: string): Promise<Record<string, unknown>> {
  const cmd = new Deno.Command(python, {
    args: [`${REPO}tools/nanogpt_ref.py`, ...argv],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { PYTHONUNBUFFERED: "1" },
  });
  const child = cmd.spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-8).join(" | ");
    return { error: `exit ${out.code}: ${err}` };
  }
  return JSON.parse(text.split("\n").pop()!);
}

// ---------------------------------------------------------------------------
// parity

interface Entry {
  model: string;
  name: string;
  input_ids: number[] | number[][];
  target_ids: number[] | number[][];
  shape: [number, number, number];
  loss: number;
  offset_floats: number;
  n_floats: number;
}
const flat = (ids: number[] | number[][]) => Int32Array.from((ids as unknown[]).flat() as number[]);

async function parity() {
  const res: Record<string, unknown> = {
    env: {
      threads: Deno.env.get("CRYSTALLM_NUM_THREADS") ?? null,
      cpu_kernels: Deno.env.get("CRYSTALLM_CPU_KERNELS") ?? null,
      attention: Deno.env.get("CRYSTALLM_ATTENTION") ?? null,
      cuda_launch_blocking: Deno.env.get("CUDA_LAUNCH_BLOCKING") ?? null,
    },
  };
  // --key names the section, so that diagnostic reruns (bench/gpu_check.sh) keep the first
  report[opt("key", "parity")] = res;
  log("parity: loading ckpt_tiny on cpu and " + device);
  const oracle = JSON.parse(await Deno.readTextFile(`${oracleDir}/logits.json`));
  const oracleLogits = new Float32Array((await Deno.readFile(`${oracleDir}/logits.bin`)).buffer);
  const ckpt = await readCheckpoint(`${oracleDir}/ckpt_tiny.pt`);
  const entries = (oracle.entries as Entry[]).filter((e) => e.model === "ckpt_tiny");
  using cpu = loadModel(ckpt, { device: "cpu", onNotice: () => {} });
  using gpu32 = loadModel(ckpt, { device, tf32: false, onNotice: () => {} });
  let vsCpu = 0, vsOracle = 0, bf16Loss = 0;
  const rows = [];
  for (const e of entries) {
    const [B, T] = e.shape;
    const x = flat(e.input_ids), y = flat(e.target_ids);
    log(`parity ${e.name} (${B}x${T}): cpu forward`);
    const c = await cpu.forward(x, B, T, { targets: y });
    log(`parity ${e.name}: ${device} float32 forward`);
    const g = await gpu32.forward(x, B, T, { targets: y });
    const ref = oracleLogits.subarray(e.offset_floats, e.offset_floats + e.n_floats);
    const dc = maxAbsDiff(g.logits!, c.logits!), dor = maxAbsDiff(g.logits!, ref);
    vsCpu = Math.max(vsCpu, dc);
    vsOracle = Math.max(vsOracle, dor);
    rows.push({ entry: e.name, shape: e.shape, logits_vs_cpu: dc, logits_vs_oracle: dor, loss_f32: g.loss });
  }
  res.entries = rows;
  res.logits_f32_vs_cpu_max_abs = vsCpu;
  res.logits_f32_vs_oracle_max_abs = vsOracle;
  res.logits_ok = vsCpu <= 1e-4 && vsOracle <= 1e-4;
  log(`logits f32 vs cpu ${vsCpu.toExponential(2)}, vs oracle ${vsOracle.toExponential(2)}`);
  save();

  // the same 5 AdamW steps on CPU and on the GPU (float32, no TF32): the fused CUDA step
  // (clipping folded into grad_scale) against the CPU one
  const args = ckpt.model_args;
  const B = 4, T = Math.min(64, args.block_size);
  const batches = Array.from({ length: 5 }, (_, s) => {
    const x = new Int32Array(B * T), y = new Int32Array(B * T);
    for (let i = 0; i < x.length; i++) {
      x[i] = (i * 7 + s * 13) % args.vocab_size, y[i] = (i * 11 + s * 5) % args.vocab_size;
    }
    return { x, y };
  });
  using tc = loadModel(ckpt, { device: "cpu", onNotice: () => {} });
  using tg = loadModel(ckpt, { device, tf32: false, onNotice: () => {} });
  tc.createOptimizer();
  tg.createOptimizer();
  const lossC = [], lossG = [];
  log("parity: 5 AdamW steps on cpu and " + device);
  for (const b of batches) {
    lossC.push((await tc.trainStep(b.x, b.y, { micro: 1, B, T, lr: 1e-3, grad_clip: 0.5 })).loss);
    await tg.trainStepAsync(b.x, b.y, { micro: 1, B, T, lr: 1e-3, grad_clip: 0.5 });
  }
  lossG.push(...(await tg.flushTrainStats()).map((s) => s.loss));
  let wDiff = 0;
  for (const t of tc.tensors()) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    wDiff = Math.max(wDiff, maxAbsDiff(tc.read(t.name, n), tg.read(t.name, n)));
  }
  res.train_steps = { losses_cpu: lossC, losses_gpu: lossG, weights_after_5_steps_max_abs: wDiff };
  log(`5 AdamW steps: weights cpu vs gpu max abs ${wDiff.toExponential(2)}`);

  // a checkpoint trained on the GPU, read on the CPU, gives the GPU's logits
  const path = `${tmp}/trained_on_gpu.pt`;
  await writeCheckpoint(path, checkpointFromModel(tg, { iter_num: 5, best_val_loss: 0, config: { device } }));
  const back = await readCheckpoint(path);
  using onCpu = loadModel(back, { device: "cpu", onNotice: () => {} });
  const e = entries[0];
  const [eB, eT] = e.shape;
  const a = await onCpu.forward(flat(e.input_ids), eB, eT);
  const g = await tg.forward(flat(e.input_ids), eB, eT);
  res.gpu_trained_ckpt_on_cpu_max_abs = maxAbsDiff(a.logits!, g.logits!);
  res.gpu_trained_ckpt_ok = (res.gpu_trained_ckpt_on_cpu_max_abs as number) <= 1e-4;
  log(
    `GPU-trained checkpoint on CPU: logits max abs ${
      (res.gpu_trained_ckpt_on_cpu_max_abs as number).toExponential(2)
    }`,
  );

  // per-sample streams: sample k the same whatever the batch, on this device
  const tok = loadTokenizer();
  const prompt = tok.encode("data_Na2Cl2\n");
  const stop = tok.tokenToId("\n")!;
  const gen = { seed: 7, max_new_tokens: 200, top_k: 10, temperature: 1.0, stop_id: stop };
  log("parity: sampling 16 in one batch and in 4 batches of 4");
  const whole = await gpu32.generate(prompt, 16, gen);
  const parts: number[][] = [];
  for (let s = 0; s < 16; s += 4) parts.push(...await gpu32.generate(prompt, 4, { ...gen, first_index: s }));
  const onCpuSamples = await cpu.generate(prompt, 16, gen);
  const same = (p: number[][], q: number[][]) => p.filter((s, i) => s.join() === q[i].join()).length;
  res.samples_batch16_vs_4x4_identical = `${same(whole, parts)}/16`;
  res.samples_gpu_vs_cpu_identical = `${same(whole, onCpuSamples)}/16`;
  log(
    `samples identical: batch 16 vs 4x4 ${res.samples_batch16_vs_4x4_identical}, gpu vs cpu ${res.samples_gpu_vs_cpu_identical}`,
  );
  save();

  // bfloat16 autocast last: on the first GPU it met it stalled (see ffi/device.ts checkDtype)
  log(`parity: ${device} bfloat16 loss`);
  using gpu16 = loadModel(ckpt, { device, dtype: "bfloat16", onNotice: () => {} });
  for (const [i, e] of entries.entries()) {
    const [B, T] = e.shape;
    const h = await gpu16.forward(flat(e.input_ids), B, T, { targets: flat(e.target_ids), logits: false });
    (rows[i] as Record<string, unknown>).loss_bf16 = h.loss;
    bf16Loss = Math.max(bf16Loss, Math.abs(h.loss - rows[i].loss_f32));
  }
  res.loss_bf16_vs_f32_max_abs = bf16Loss;
  res.bf16_loss_ok = bf16Loss <= 2e-2;
  log(`bf16 loss vs f32 max abs ${bf16Loss.toExponential(2)}`);
  save();
}

// ---------------------------------------------------------------------------
// speed

const BIG: ModelConfig = small
  ? { n_layer: 2, n_head: 2, n_embd: 64, block_size: 128, vocab_size: 371 }
  : { n_layer: 8, n_head: 8, n_embd: 512, block_size: 1024, vocab_size: 371 };

/** nanoGPT's estimate_mfu: 6N + 12·L·H·Q·T FLOPs per token (N without position embeddings). */
function flopsPerToken(c: ModelConfig, nParams: number): number {
  const N = nParams - c.block_size * c.n_embd;
  return 6 * N + 12 * c.n_layer * c.n_head * (c.n_embd / c.n_head) * c.block_size;
}
const PEAK_BF16 = 989e12; // dense bf16 of H100/H200 (SXM)

type Dtype = "float32" | "bfloat16" | "float16";
const DTYPES = opt("dtypes", device.startsWith("cuda") ? "float32,bfloat16" : "float32").split(
  ",",
) as Dtype[];

async function trainSpeed() {
  const all: Record<string, unknown> = {};
  report.train = all;
  for (const dtype of DTYPES) {
    all[dtype] = {};
    await trainSpeedOf(dtype, all[dtype] as Record<string, unknown>);
  }
}

async function trainSpeedOf(dtype: Dtype, res: Record<string, unknown>) {
  // one batch size for ours and the reference; the reference runs first, so that if this
  // dtype stalls in our library the PyTorch figure on the same machine is already written
  const B = small ? 4 : Number(opt("train-batch", "64"));
  const iters = small ? 3 : Number(opt("train-iters", "30"));
  const T = BIG.block_size;
  const common = [
    "bench-train",
    ...["--n_layer", BIG.n_layer, "--n_head", BIG.n_head, "--n_embd", BIG.n_embd, "--block_size", T].map(
      String,
    ),
    ...["--batch_size", B, "--iters", iters, "--device", device, "--dtype", dtype].map(String),
    "--flash",
    "--fused",
  ];
  log(`train speed: reference, eager, ${dtype}`);
  res.ref_eager = await runPython(common);
  log(`ref eager: ${JSON.stringify(res.ref_eager)}`);
  save();

  log(`train speed: ours, ${dtype}, batch ${B}`);
  try {
    const { result, peak_mib } = await withGpuMemory(Deno.pid, async () => {
      using m = createModel({ ...BIG, device, dtype, seed: 1 });
      m.createOptimizer();
      const nParams = m.tensors().reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
      const x = new Int32Array(B * T), y = new Int32Array(B * T);
      let s = 1;
      const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) % BIG.vocab_size;
      for (let i = 0; i < x.length; i++) x[i] = rnd(), y[i] = rnd();
      const shape = { micro: 1, B, T, lr: 6e-4, grad_clip: 1.0 };
      for (let i = 0; i < 3; i++) await m.trainStepAsync(x, y, shape);
      await m.flushTrainStats();
      const t0 = performance.now();
      for (let i = 0; i < iters; i++) await m.trainStepAsync(x, y, shape);
      const stats = await m.flushTrainStats();
      const dt = (performance.now() - t0) / 1000;
      return {
        tokens_per_s: (iters * B * T) / dt,
        params: nParams,
        last_loss: stats[stats.length - 1].loss,
        seconds: dt,
      };
    });
    res.ours = {
      batch: B,
      ...result,
      mfu: (result.tokens_per_s * flopsPerToken(BIG, result.params)) / PEAK_BF16,
      peak_gpu_mib: peak_mib,
    };
  } catch (e) {
    res.ours = { batch: B, error: (e as Error).message.split("\n")[0] };
  }
  log(`ours train: ${JSON.stringify(res.ours)}`);
  save();
  if (!small) {
    log(`train speed: reference, torch.compile, ${dtype}`);
    res.ref_compiled = await runPython([...common, "--compile"]);
    log(`ref compiled: ${JSON.stringify(res.ref_compiled)}`);
  }
  const ours = (res.ours as Record<string, unknown>).tokens_per_s;
  const ratio = (r: unknown) => {
    const t = (r as Record<string, unknown>)?.tokens_per_s;
    return typeof t === "number" && typeof ours === "number" ? ours / t : null;
  };
  res.vs_eager = ratio(res.ref_eager);
  res.vs_compiled = ratio(res.ref_compiled);
  save();
}

async function sampleSpeed() {
  const all: Record<string, unknown> = {};
  report.sample = all;
  for (const dtype of DTYPES) {
    all[dtype] = {};
    await sampleSpeedOf(dtype, all[dtype] as Record<string, unknown>);
  }
}

async function sampleSpeedOf(dtype: Dtype, res: Record<string, unknown>) {
  const n = small ? 8 : Number(opt("sample-n", "1000"));
  const maxNew = small ? 50 : 1000;
  const tok = loadTokenizer();
  const prompt = tok.encode("data_Na2Cl2\n");
  const stop = tok.tokenToId("\n")!;
  // the 25M model's weights for the reference, written before anything of ours runs on the
  // device so that the reference's figure exists even if this dtype stalls in our library
  const ckptPath = `${tmp}/model25m.pt`;
  {
    using init = createModel({ ...BIG, device: "cpu", seed: 3 });
    await writeCheckpoint(
      ckptPath,
      checkpointFromModel(init, { iter_num: 0, best_val_loss: 0, config: {}, optimizer: false }),
    );
  }
  log(`sample speed: upstream's loop, ${dtype}`);
  const refTokens = small ? 50 : Number(opt("ref-sample-tokens", "1000"));
  res.ref_upstream_loop = await runPython(
    ["bench-sample", ckptPath, "--num_samples", "1", "--max_new_tokens", String(refTokens), "--top_k", "10"]
      .concat(["--device", device, "--dtype", dtype]),
    JSON.stringify(prompt),
  );
  log(`ref upstream loop: ${JSON.stringify(res.ref_upstream_loop)}`);
  save();

  log(`sample speed: ours, ${dtype}, n=${n}`);
  let model: Model | null = null;
  try {
    const { result, peak_mib } = await withGpuMemory(Deno.pid, async () => {
      model = loadModel(await readCheckpoint(ckptPath), { device, dtype, onNotice: () => {} });
      await model.generate(prompt, Math.min(n, 16), {
        seed: 1,
        max_new_tokens: 20,
        top_k: 10,
        stop_id: stop,
      }); // warm-up
      const t0 = performance.now();
      const outs = await model.generate(prompt, n, {
        seed: 1,
        max_new_tokens: maxNew,
        top_k: 10,
        temperature: 1.0,
        stop_id: stop,
      });
      const dt = (performance.now() - t0) / 1000;
      const tokens = outs.reduce((a, o) => a + o.length, 0);
      return { n, batch: n, max_new_tokens: maxNew, tokens, seconds: dt, tokens_per_s: tokens / dt };
    });
    res.ours = { ...result, peak_gpu_mib: peak_mib };
  } catch (e) {
    res.ours = { error: (e as Error).message.split("\n")[0] };
  } finally {
    (model as Model | null)?.dispose();
  }
  log(`ours sample: ${JSON.stringify(res.ours)}`);
  const o = (res.ours as Record<string, unknown>).tokens_per_s,
    r = (res.ref_upstream_loop as Record<string, unknown>).tokens_per_s;
  res.vs_upstream_loop = typeof o === "number" && typeof r === "number" ? o / r : null;
  save();
}

/** `crystallm audit nacl10 --set device=<device>` in a child, against the CPU snapshots. */
async function audit() {
  const out = `${tmp}/audit_out`;
  const argv = [
    "run",
    "-A",
    ...(flag("cached-only") ? ["--cached-only"] : []),
    `${REPO}tasks/crystallm.ts`,
    "audit",
    "nacl10",
    "--set",
    `device=${device}`,
    "--out",
    out,
    ...(small ? ["--profile", "ci"] : []),
  ];
  const t0 = performance.now();
  const r = await new Deno.Command(Deno.execPath(), {
    args: argv,
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  const metrics = await Deno.readTextFile(`${out}/nacl10/metrics.json`).then(JSON.parse).catch(() => null);
  const trainManifest = await Deno.readTextFile(`${out}/nacl10/train/nacl10/manifest.json`).then(JSON.parse)
    .catch(() => null);
  report.audit = {
    command: `crystallm audit nacl10 --set device=${device}${small ? " --profile ci" : ""}`,
    exit_code: r.code,
    seconds: (performance.now() - t0) / 1000,
    metrics,
    train_device: trainManifest?.outputs?.device ?? null,
    train_tokens_per_s: trainManifest?.outputs?.tokens_per_s ?? null,
    output_tail: text.split("\n").slice(-40).join("\n"),
  };
  log(`audit nacl10 on ${device}: exit ${r.code}`);
  save();
}

try {
  if (only.includes("parity")) await parity();
  if (only.includes("audit")) await audit();
  if (only.includes("train")) await trainSpeed();
  if (only.includes("sample")) await sampleSpeed();
} catch (e) {
  report.error = (e as Error).stack ?? String(e);
  save();
  console.error(e);
  Deno.exit(1);
} finally {
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
}
save();
log(`wrote ${outPath}`);
