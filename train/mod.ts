/**
 * Training, finetuning and resuming CrystaLLM models: upstream's `train.py` loop with
 * libtorch doing the tensor work.
 *
 * ```ts ignore
 * import { loadTrainConfig, train } from "./mod.ts";
 * const config = await loadTrainConfig("../shared/oracle/model/ckpt_tiny_train_py.yaml", [
 *   "dataset=../shared/oracle/tokenizer",
 *   "out_dir=out/tiny",
 * ]);
 * const { checkpoint, tokens_per_s } = await train(config);
 * ```
 *
 * @module
 */
// defines: train(), TrainResult, TrainLogRow, TrainDataError
export * from "./train.ts";
// defines: loadTrainConfig(), resolveTrainConfig(), learningRate(), trainMode(), TRAIN_DEFAULTS, TrainConfigError
export * from "./config.ts";
