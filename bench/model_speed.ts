/**
 * Model benchmarks, as ratios against a plain PyTorch reference
 * (tools/nanogpt_ref.py on Debian's python3-torch) run in the same minute, same threads:
 *
 * - training tokens/s at n_layer 4, n_head 4, n_embd 256, block 256, batch 8 (target ≥ 1.2×);
 * - sampling tokens/s, 100 samples of up to 1,000 tokens, batched with a KV cache, against
 *   upstream sample.py's one-sample-at-a-time, no-cache loop (target ≥ 30×);
 * - peak memory (RSS) of each, every measurement in its own process.
 *
 * Training is measured four ways, interleaved in rounds: ours; ours with
 * CRYSTALLM_CPU_KERNELS=off (libtorch's operators: what the fused kernels gain); the
 * reference as a user runs it; and the reference with OMP_WAIT_POLICY=PASSIVE, the OpenMP
 * setting ours runs with (the fairest baseline). Children get the environment this process
 * started with: loadLibrary() sets OMP_WAIT_POLICY here, and until 2026-11 the "plain"
 * reference inherited it, so earlier plain-reference ratios were against the tuned one.
 *
 * Run: `deno task bench:model` (or `deno run -A bench/model_speed.ts [--quick]`).
 * Env: CRYSTALLM_NUM_THREADS (default: all cores), CRYSTALLM_PYTHON (default /usr/bin/python3).
 *
 * @module
 */
import { checkpointFromModel, writeCheckpoint } from "../checkpoint/mod.ts";
import { createModel, loadLibrary } from "../ffi/mod.ts";
import { buildFfi } from "../ffi/build.ts";
import { pythonCommand } from "../tests/python.ts";

// the environment as the user started us: loadLibrary() sets OMP_WAIT_POLICY=PASSIVE in
// this process, and children must not inherit that unless the user asked for it
const USER_ENV = Deno.env.toObject();
const REF = new URL("../tools/nanogpt_ref.py", import.meta.url).pathname;
const THREADS = Number(Deno.env.get("CRYSTALLM_NUM_THREADS") ?? navigator.hardwareConcurrency);
const TRAIN = { n_layer: 4, n_head: 4, n_embd: 256, block_size: 256, vocab_size: 371, batch_size: 8 };
const SAMPLE_MODEL = { n_layer: 4, n_head: 4, n_embd: 256, block_size: 1024, vocab_size: 371 };

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
  return m ? Number(m[1]) / 1024 : NaN;
}

interface Measure {
  tokens_per_s: number;
  peak_rss_mb: number;
  [k: string]: unknown;
}

async function oursTrain(iters: number): Promise<Measure> {
  loadLibrary({ numThreads: THREADS });
  const { batch_size: B, block_size: T, vocab_size: V } = TRAIN;
  using model = createModel({ ...TRAIN, bias: true, dropout: 0 });
  model.createOptimizer({ weight_decay: 0.1 });
  const x = new Int32Array(B * T);
  const y = new Int32Array(B * T);
  const step = async () => {
    for (let i = 0; i < x.length; i++) {
      x[i] = Math.floor(Math.random() * V);
      y[i] = Math.floor(Math.random() * V);
    }
    await model.trainStep(x, y, { micro: 1, B, T, lr: 1e-3, grad_clip: 1 });
  };
  await step(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) await step();
  const s = (performance.now() - t0) / 1000;
  return { tokens_per_s: (iters * B * T) / s, seconds: s, peak_rss_mb: peakRssMb() };
}

async function oursSample(ckptDir: string, n: number, maxNew: number, batch: number): Promise<Measure> {
  loadLibrary({ numThreads: THREADS });
  const { readCheckpoint, loadModel } = await import("../checkpoint/mod.ts");
  using model = loadModel(await readCheckpoint(ckptDir), { onNotice: () => {} });
  const prompt = [124, 54, 90, 5, 90, 142]; // data_Na1Cl1\n
  let tokens = 0;
  const t0 = performance.now();
  for (let s = 0; s < n; s += batch) {
    const outs = await model.generate(prompt, Math.min(batch, n - s), {
      max_new_tokens: maxNew,
      top_k: 10,
      seed: 1,
      first_index: s,
    });
    tokens += outs.reduce((a, o) => a + o.length, 0);
  }
  const sec = (performance.now() - t0) / 1000;
  return { tokens_per_s: tokens / sec, tokens, seconds: sec, samples: n, batch, peak_rss_mb: peakRssMb() };
}

async function child(args: string[], env: Record<string, string> = {}): Promise<Measure> {
  const io = {
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: { ...USER_ENV, ...env },
  } as const;
  const cmd = args[0] === "python"
    // a timing reference compares no numbers: it runs with the CPU's own kernels, as ours do
    ? pythonCommand([REF, ...args.slice(1), "--threads", String(THREADS)], { ...io, pinned: false })
    : new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(import.meta.url).pathname, ...args],
      ...io,
    });
  const p = cmd.spawn();
  const w = p.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify([124, 54, 90, 5, 90, 142])));
  await w.close();
  const out = await p.output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) throw new Error(`${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(text.split("\n").at(-1)!);
}

const mode = Deno.args[0];
if (mode === "--ours-train") {
  console.log(JSON.stringify(await oursTrain(Number(Deno.args[1]))));
} else if (mode === "--ours-sample") {
  console.log(
    JSON.stringify(
      await oursSample(Deno.args[1], Number(Deno.args[2]), Number(Deno.args[3]), Number(Deno.args[4])),
    ),
  );
} else {
  const quick = Deno.args.includes("--quick");
  await buildFfi();
  const info = loadLibrary({ numThreads: THREADS });
  const dir = await Deno.makeTempDir();
  try {
    // one random-init checkpoint shared by both samplers
    {
      using m = createModel({ ...SAMPLE_MODEL, seed: 5 });
      await writeCheckpoint(
        `${dir}/ckpt.pt`,
        checkpointFromModel(m, { iter_num: 0, best_val_loss: 1e9, config: {} }),
      );
    }
    const iters = quick ? 5 : 20;
    const nSamples = quick ? 16 : 100;
    const maxNew = quick ? 300 : 1000;
    const refSamples = 1;
    console.error(`libtorch ${info.torch_version}, ${THREADS} threads, CPU kernels ${info.cpu_kernels}`);
    // interleave ours and the reference so both see the same machine load; median of rounds
    const rounds = quick ? 1 : 3;
    const median = (xs: Measure[]) =>
      [...xs].sort((a, b) => a.tokens_per_s - b.tokens_per_s)[Math.floor(xs.length / 2)];
    const refArgs = [
      "python",
      "bench-train",
      ...Object.entries(TRAIN).flatMap(([k, v]) => [`--${k}`, String(v)]),
      "--iters",
      String(iters),
    ];
    const ours: Measure[] = [];
    const oursOff: Measure[] = [];
    const refs: Measure[] = [];
    const refsPassive: Measure[] = [];
    for (let r = 0; r < rounds; r++) {
      ours.push(await child(["--ours-train", String(iters)]));
      // ours with libtorch's operators instead of the fused CPU kernels (ffi/kernels.cpp)
      oursOff.push(await child(["--ours-train", String(iters)], { CRYSTALLM_CPU_KERNELS: "off" }));
      refs.push(await child(refArgs));
      // the reference again with OpenMP told not to spin, as we run (a fairer but non-default baseline)
      refsPassive.push(await child(refArgs, { OMP_WAIT_POLICY: "PASSIVE" }));
    }
    const trainOurs = median(ours);
    const trainOursOff = median(oursOff);
    const trainRef = median(refs);
    const trainRefPassive = median(refsPassive);
    const sampleOurs = await child([
      "--ours-sample",
      `${dir}/ckpt.pt`,
      String(nSamples),
      String(maxNew),
      "100",
    ]);
    const sampleRef = await child([
      "python",
      "bench-sample",
      `${dir}/ckpt.pt`,
      "--num_samples",
      String(refSamples),
      "--max_new_tokens",
      String(maxNew),
      "--top_k",
      "10",
    ]);
    const report = {
      machine: {
        cores: navigator.hardwareConcurrency,
        threads: THREADS,
        libtorch: info.torch_version,
        sdpa: info.sdpa,
        cpu_kernels: info.cpu_kernels,
      },
      train: {
        config: TRAIN,
        ours: trainOurs,
        ours_cpu_kernels_off: trainOursOff,
        reference: trainRef,
        reference_omp_passive: trainRefPassive,
        ratio: trainOurs.tokens_per_s / trainRef.tokens_per_s,
        ratio_vs_omp_passive: trainOurs.tokens_per_s / trainRefPassive.tokens_per_s,
        cpu_kernels_speedup: trainOurs.tokens_per_s / trainOursOff.tokens_per_s,
        rounds: {
          ours: ours.map((m) => Math.round(m.tokens_per_s)),
          ours_cpu_kernels_off: oursOff.map((m) => Math.round(m.tokens_per_s)),
          reference: refs.map((m) => Math.round(m.tokens_per_s)),
          reference_omp_passive: refsPassive.map((m) => Math.round(m.tokens_per_s)),
        },
        target: 1.2,
      },
      sample: {
        config: { ...SAMPLE_MODEL, samples: nSamples, max_new_tokens: maxNew, top_k: 10 },
        ours: sampleOurs,
        reference: {
          ...sampleRef,
          note:
            `upstream loop, ${refSamples} sample(s) one at a time (its tokens/s does not depend on the count)`,
        },
        ratio: sampleOurs.tokens_per_s / sampleRef.tokens_per_s,
        target: 30,
      },
    };
    console.log(JSON.stringify(report, null, 2));
    console.error(
      `train ${report.train.ratio.toFixed(2)}x the reference (${Math.round(trainOurs.tokens_per_s)} vs ${
        Math.round(trainRef.tokens_per_s)
      } tokens/s; ` +
        `${report.train.ratio_vs_omp_passive.toFixed(2)}x vs the reference with OMP_WAIT_POLICY=PASSIVE, ` +
        `${report.train.cpu_kernels_speedup.toFixed(2)}x ours with CRYSTALLM_CPU_KERNELS=off), ` +
        `sample ${report.sample.ratio.toFixed(1)}x (${Math.round(sampleOurs.tokens_per_s)} vs ${
          Math.round(sampleRef.tokens_per_s)
        } tokens/s); ` +
        `peak RSS train ${Math.round(trainOurs.peak_rss_mb)} vs ${
          Math.round(trainRef.peak_rss_mb)
        } MB, sample ${Math.round(sampleOurs.peak_rss_mb)} vs ${Math.round(sampleRef.peak_rss_mb)} MB`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
