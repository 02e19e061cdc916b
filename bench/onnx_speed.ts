/**
 * Sampling speed of the ONNX engine against the libtorch engine on the CPU, as a ratio
 * measured in one run: 100 samples of up to 1,000 tokens from fixtures/base (prompt
 * `data_Na2Cl2\n`, top-k 10, t=1, batch 16, the same seed), each engine in its own process
 * so that peak memory (RSS, VmHWM) is its own, interleaved in rounds (the machine may be
 * shared); the ratio is taken per round. Target: ≥ 0.8× libtorch.
 *
 * Run: `deno run -A bench/onnx_speed.ts [--n 100] [--max-new-tokens 1000] [--rounds 2]`.
 * Env: CRYSTALLM_NUM_THREADS (libtorch threads; onnxruntime uses its default, one per core).
 *
 * @module
 */
import { parseArgs } from "node:util";

const ROOT = new URL("../", import.meta.url).pathname;
const CKPT = `${ROOT}fixtures/base/ckpt.pt`;

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** CPU seconds of this process, all threads (utime + stime): a figure a busy machine disturbs less than wall time. */
function cpuSeconds(): number {
  const f = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

interface Measure {
  engine: string;
  samples: number;
  new_tokens: number;
  seconds: number;
  tokens_per_s: number;
  /** New tokens per CPU second of the sampling (all threads). */
  tokens_per_cpu_s: number;
  peak_rss_mb: number;
}

/** One engine in this process (the child's side). */
async function child(engine: string, n: number, maxNew: number, dir: string): Promise<Measure> {
  const settings = {
    prompt: "data_Na2Cl2\n",
    out: `${dir}/${engine}`,
    num_samples: n,
    max_new_tokens: maxNew,
    top_k: 10,
    temperature: 1,
    seed: 1337,
    batch: 16,
  };
  const cpu0 = cpuSeconds();
  let r;
  if (engine === "onnx") {
    const { generateOnnx } = await import("../sample/onnx_engine.ts");
    r = await generateOnnx({ ...settings, model: `${dir}/base.onnx` });
  } else {
    const { generate } = await import("../sample/generate.ts");
    r = await generate({ ...settings, ckpt: CKPT });
  }
  const newTokens = r.tokens.reduce((a, b) => a + b, 0);
  return {
    engine,
    samples: r.files.length,
    new_tokens: newTokens,
    seconds: r.seconds,
    tokens_per_s: r.tokens_per_s,
    tokens_per_cpu_s: newTokens / (cpuSeconds() - cpu0),
    peak_rss_mb: peakRssMb(),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      n: { type: "string", default: "100" },
      "max-new-tokens": { type: "string", default: "1000" },
      rounds: { type: "string", default: "2" },
      child: { type: "string" },
      dir: { type: "string" },
    },
  });
  const n = Number(values.n), maxNew = Number(values["max-new-tokens"]);
  if (values.child) {
    console.log(JSON.stringify(await child(values.child, n, maxNew, values.dir!)));
  } else {
    const dir = await Deno.makeTempDir();
    try {
      const { exportOnnx } = await import("../export/onnx_export.ts");
      await exportOnnx({ ckpt: CKPT, out: `${dir}/base.onnx` });
      const results: Measure[] = [];
      const ratios: number[] = [];
      const cpuRatios: number[] = [];
      for (let round = 0; round < Number(values.rounds); round++) {
        const pair: Measure[] = [];
        for (const engine of ["libtorch", "onnx"]) {
          const out = await new Deno.Command(Deno.execPath(), {
            args: [
              "run",
              "-A",
              import.meta.filename!,
              ...["--child", engine, "--n", String(n), "--max-new-tokens", String(maxNew), "--dir", dir],
            ],
            stdout: "piped",
            stderr: "inherit",
          }).output();
          if (!out.success) throw new Error(`${engine} run failed`);
          pair.push(JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!));
        }
        ratios.push(pair[1].tokens_per_s / pair[0].tokens_per_s);
        cpuRatios.push(pair[1].tokens_per_cpu_s / pair[0].tokens_per_cpu_s);
        results.push(...pair);
      }
      console.table(results);
      console.log(
        JSON.stringify({
          ratios_onnx_over_libtorch: ratios,
          cpu_time_ratios: cpuRatios,
          load_average: Deno.loadavg(),
          results,
        }),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
}
