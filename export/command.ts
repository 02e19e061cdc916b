/**
 * `crystallm export onnx`: write a checkpoint as an ONNX decoder with a KV cache.
 *
 * ```sh
 * deno task crystallm export onnx --ckpt fixtures/base --out out/base.onnx
 * ```
 *
 * @module
 */
import { Command, InvalidArgumentError } from "commander";
import { CheckpointError } from "../checkpoint/mod.ts";
import { MAX_OPSET, MIN_OPSET } from "./onnx_graph.ts";
import { exportOnnx } from "./onnx_export.ts";

function opsetArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < MIN_OPSET || n > MAX_OPSET) {
    throw new InvalidArgumentError(`use an integer ${MIN_OPSET}..${MAX_OPSET} (LayerNormalization needs 17)`);
  }
  return n;
}

/**
 * The `export` command group (`export onnx`).
 *
 * @returns A commander command.
 */
export function exportCommand(): Command {
  const onnx = new Command("onnx")
    .description("write a checkpoint as one ONNX decoder graph with a KV cache (Optimum's GPT-2 names)")
    .requiredOption("--ckpt <path>", "ckpt.pt or a run directory holding it")
    .requiredOption("--out <file>", "the .onnx file to write")
    .option("--opset <n>", `ONNX opset (${MIN_OPSET}..${MAX_OPSET})`, opsetArg, 17)
    // a nested command does not inherit the program's exit handling: usage mistakes exit 2
    .exitOverride((err) => Deno.exit(err.exitCode === 0 ? 0 : 2))
    .addHelpText(
      "after",
      `
Examples:
  $ crystallm export onnx --ckpt fixtures/base --out out/base.onnx
  $ crystallm sample --engine onnx --model out/base.onnx --prompt Na2Cl2 --n 4 --out out/samples`,
    )
    .action(async (o, cmd: Command) => {
      try {
        const r = await exportOnnx({ ckpt: o.ckpt, out: o.out, opset: o.opset });
        console.log(JSON.stringify(r));
      } catch (e) {
        if (e instanceof CheckpointError || e instanceof Deno.errors.NotFound) {
          cmd.error(`error: ${(e as Error).message}`, { exitCode: 2 });
        }
        throw e;
      }
    });
  return new Command("export").description("export a checkpoint for other runtimes").addCommand(onnx);
}
