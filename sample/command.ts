/**
 * `crystallm sample` and `crystallm score`.
 *
 * Try the following:
 * ```sh
 * deno task crystallm sample --ckpt out/tiny --prompt $'data_Na2Cl2\n' --n 4 --out out/samples
 * deno task crystallm score --ckpt out/tiny out/samples/sample_1.cif out/samples/sample_2.cif
 * ```
 *
 * @module
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { CheckpointError, writeFileAtomic } from "../checkpoint/mod.ts";
import { VocabSizeMismatchError } from "../data/tokenizer.ts";
import { DeviceError, parseDevice } from "../ffi/device.ts";
import { generate, PromptError } from "./generate.ts";
import { score } from "./score.ts";

/** Write a sampling run's report as `manifest.json` beside its samples (atomically). */
async function writeSampleManifest(out: string, manifest: Record<string, unknown>): Promise<void> {
  const text = JSON.stringify(manifest, null, 2) + "\n";
  await writeFileAtomic(`${out}/manifest.json`, new TextEncoder().encode(text));
}

function int(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`not an integer: ${value}`);
  return n;
}

function atLeast(min: number): (value: string) => number {
  return (value: string) => {
    const n = int(value);
    if (n < min) throw new InvalidArgumentError(`must be >= ${min}, got ${value}`);
    return n;
  };
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`must be a number > 0, got ${value}`);
  return n;
}

function deviceArg(value: string): string {
  try {
    parseDevice(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  return value;
}

function usageError(e: unknown): boolean {
  return e instanceof CheckpointError || e instanceof PromptError || e instanceof VocabSizeMismatchError ||
    e instanceof DeviceError || (e instanceof Error && e.name === "OnnxModelError");
}

const engineOption = () =>
  new Option("--engine <engine>", "libtorch (--ckpt) or onnx (--model, from crystallm export onnx)")
    .choices(["libtorch", "onnx"]).default("libtorch");

/** The model argument the engine needs: --ckpt for libtorch, --model for onnx (CPU, float32). */
function checkEngineArgs(o: { engine: string; ckpt?: string; model?: string; device?: string; dtype?: string }, cmd: Command) {
  if (o.engine === "onnx") {
    if (!o.model) cmd.error("error: --engine onnx needs --model <model.onnx> (write one with crystallm export onnx)", { exitCode: 2 });
    if (o.device !== "cpu" || o.dtype !== "float32") {
      cmd.error("error: --engine onnx runs on the CPU in float32: drop --device/--dtype", { exitCode: 2 });
    }
  } else if (!o.ckpt) cmd.error("error: required option '--ckpt <path>' not specified", { exitCode: 2 });
}

/**
 * The `sample` subcommand.
 *
 * @returns A commander command.
 */
export function sampleCommand(): Command {
  return new Command("sample")
    .description("sample CIFs from a checkpoint (batched, KV cache; sample k is fixed by --seed and k)")
    .option("--ckpt <path>", "ckpt.pt or a run directory holding it (libtorch engine)")
    .addOption(engineOption())
    .option("--model <file>", "model.onnx written by crystallm export onnx (--engine onnx)")
    .requiredOption(
      "--prompt <text>",
      "prompt: $'data_Na2Cl2\\n' as it is, a composition (Na2Cl2, BaTiO3 → data_Ba1Ti1O3), 'Na2Cl2 Fm-3m', or FILE:path",
    )
    .option(
      "--spacegroup <symbol>",
      "space group for a composition prompt, as upstream's make_prompt_file.py (Fm-3m)",
    )
    .option("--n <N>", "number of samples", atLeast(1), 1)
    .requiredOption("--out <dir>", "output directory (sample_<k>.cif, manifest.json)")
    .option("--top-k <k>", "sample from the k most likely tokens (0 = all)", atLeast(0), 10)
    .option("--temperature <t>", "softmax temperature (> 0)", positive, 0.8)
    .option("--max-new-tokens <m>", "tokens to generate at most per sample", atLeast(1), 3000)
    .option("--seed <s>", "random seed", int, 1337)
    .option("--batch <b>", "samples per batch (memory grows with it)", atLeast(1), 16)
    .option("--device <device>", "where to run: cpu, cuda or cuda:N", deviceArg, "cpu")
    .addOption(
      new Option("--dtype <dtype>", "autocast dtype (bfloat16/float16 need cuda for speed)").choices([
        "float32",
        "bfloat16",
        "float16",
      ]).default("float32"),
    )
    .addHelpText(
      "after",
      `
Examples:
  $ crystallm sample --ckpt out/tiny --prompt $'data_Na2Cl2\\n' --n 4 --out out/samples
  $ crystallm sample --ckpt out/tiny/ckpt.pt --prompt FILE:prompt.txt --n 100 --top-k 10 --out out/samples
  $ crystallm sample --ckpt out/tiny --prompt BaTiO3 --spacegroup Pm-3m --n 8 --out out/batio3`,
    )
    .action(async (o, cmd: Command) => {
      checkEngineArgs(o, cmd);
      try {
        const common = {
          prompt: o.prompt,
          spacegroup: o.spacegroup,
          out: o.out,
          num_samples: o.n,
          top_k: o.topK,
          temperature: o.temperature,
          max_new_tokens: o.maxNewTokens,
          seed: o.seed,
          batch: o.batch,
          onProgress: (done: number, total: number, tps: number) =>
            console.error(`sampled ${done}/${total} (${Math.round(tps)} tokens/s)`),
        };
        const r = o.engine === "onnx"
          ? await (await import("./onnx_engine.ts")).generateOnnx({ ...common, model: o.model })
          : await generate({ ...common, ckpt: o.ckpt, device: o.device, dtype: o.dtype });
        await writeSampleManifest(o.out, r.manifest);
        console.log(
          JSON.stringify({ out: o.out, samples: r.files.length, tokens_per_s: Math.round(r.tokens_per_s) }),
        );
      } catch (e) {
        if (usageError(e)) cmd.error(`error: ${(e as Error).message}`, { exitCode: 2 });
        throw e;
      }
    });
}

/**
 * The `score` subcommand.
 *
 * @returns A commander command.
 */
export function scoreCommand(): Command {
  return new Command("score")
    .description('print {"file","tokens","loss"} per CIF: mean next-token cross-entropy under the model')
    .option("--ckpt <path>", "ckpt.pt or a run directory holding it (libtorch engine)")
    .addOption(engineOption())
    .option("--model <file>", "model.onnx written by crystallm export onnx (--engine onnx)")
    .argument("<files...>", "CIF files")
    .option("--device <device>", "where to run: cpu, cuda or cuda:N", deviceArg, "cpu")
    .addOption(
      new Option("--dtype <dtype>", "autocast dtype").choices(["float32", "bfloat16", "float16"]).default("float32"),
    )
    .addHelpText(
      "after",
      `
Examples:
  $ crystallm score --ckpt out/tiny out/samples/sample_1.cif
  $ crystallm score --ckpt out/tiny/ckpt.pt out/samples/*.cif`,
    )
    .action(async (files: string[], o, cmd: Command) => {
      checkEngineArgs(o, cmd);
      try {
        if (o.engine === "onnx") {
          const { scoreOnnx } = await import("./onnx_engine.ts");
          await scoreOnnx(o.model, files, (r) => console.log(JSON.stringify(r)));
          return;
        }
        await score(o.ckpt, files, { device: o.device, dtype: o.dtype, onResult: (r) => console.log(JSON.stringify(r)) });
      } catch (e) {
        if (usageError(e) || e instanceof Deno.errors.NotFound) {
          cmd.error(`error: ${(e as Error).message}`, { exitCode: 2 });
        }
        throw e;
      }
    });
}
