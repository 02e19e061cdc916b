/**
 * `crystallm train`: train, finetune or resume a model from an upstream-style YAML.
 *
 * Try the following:
 * ```sh
 * deno task crystallm train --config ../shared/oracle/model/ckpt_tiny_train_py.yaml \
 *   --set dataset=../shared/oracle/tokenizer --set out_dir=out/tiny
 * deno task crystallm train --config out/tiny/config.resolved.yaml --set init_from=resume --set max_iters=4
 * ```
 *
 * @module
 */
import { Command } from "commander";
import { CheckpointError, writeFileAtomic } from "../checkpoint/mod.ts";
import { loadTrainConfig, TrainConfigError } from "./config.ts";
import { train, TrainDataError } from "./train.ts";

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * The `train` subcommand.
 *
 * @returns A commander command.
 */
export function trainCommand(): Command {
  return new Command("train")
    .description("train, finetune or resume a GPT on token files (upstream train.py config keys)")
    .requiredOption(
      "--config <yaml>",
      "YAML config: upstream's flat keys, or an experiment file's train: section",
    )
    .option("--set <key=value>", "override one config key (repeatable)", collect, [])
    .option("--no-progress", "no progress bar")
    .addHelpText(
      "after",
      `
Examples:
  $ crystallm train --config ../shared/oracle/model/ckpt_tiny_train_py.yaml --set dataset=../shared/oracle/tokenizer --set out_dir=out/tiny
  $ crystallm train --config out/tiny/config.resolved.yaml --set init_from=resume --set max_iters=4`,
    )
    .action(async (opts: { config: string; set: string[]; progress: boolean }, cmd: Command) => {
      try {
        const config = await loadTrainConfig(opts.config, opts.set);
        const result = await train(config, { progress: opts.progress });
        const manifest = JSON.stringify(result.manifest, null, 2) + "\n";
        await writeFileAtomic(`${config.out_dir}/manifest.json`, new TextEncoder().encode(manifest));
        console.log(JSON.stringify({
          mode: result.mode,
          iter_num: result.iter_num,
          best_val_loss: result.best_val_loss,
          tokens_per_s: Math.round(result.tokens_per_s),
          checkpoint: result.checkpoint,
        }));
      } catch (e) {
        if (e instanceof TrainConfigError || e instanceof CheckpointError) {
          cmd.error(`error: ${e.message}`, { exitCode: 2 });
        }
        if (e instanceof TrainDataError) cmd.error(`error: ${e.message}`, { exitCode: 1 });
        throw e;
      }
    });
}
