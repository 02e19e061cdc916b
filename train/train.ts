/**
 * The training loop of upstream CrystaLLM's `bin/train.py` (8e81a86, after nanoGPT), with
 * TypeScript orchestrating and libtorch (ffi/) computing.
 *
 * @module
 */
import { SingleBar } from "cli-progress";
import {
  checkpointFromModel,
  findNonFinite,
  loadModel,
  readCheckpoint,
  resolveCheckpointPath,
  writeCheckpoint,
  writeFileAtomic,
} from "../checkpoint/mod.ts";
import { ABI_VERSION, createModel, loadLibrary, type Model, type RuntimeInfo } from "../ffi/mod.ts";
import { checkDevice, checkDtype, describeDevice, type DeviceInfo } from "../ffi/device.ts";
import { readMetaPkl } from "../data/meta_pkl.ts";
import { stringify as stringifyYaml } from "yaml";
import { learningRate, type TrainConfig, TrainConfigError, type TrainMode, trainMode } from "./config.ts";
import { sha256 } from "../core/hash.ts";

/** One row of train_log.csv. */
export interface TrainLogRow {
  iteration: number;
  lr: number;
  train_loss: number;
  /** Set at evaluation iterations when `validate` is on. */
  val_loss: number | null;
  tokens_per_s: number;
}

/** What {@linkcode train} returns. */
export interface TrainResult {
  mode: TrainMode;
  /** Iteration counter at the end (upstream semantics: one past the last step). */
  iter_num: number;
  best_val_loss: number;
  /** Rows written to train_log.csv by this run. */
  log: TrainLogRow[];
  /** The last checkpoint written, if any. */
  checkpoint: { path: string; sha256: string; iter_num: number } | null;
  /** Mean training throughput. */
  tokens_per_s: number;
  /** Where it ran: device, libtorch and CUDA versions, the GPU. */
  device_info: DeviceInfo;
  /**
   * The run's report: mode, resolved config, data hashes, libtorch, device, seeds, timings and
   * checkpoint. `crystallm train` writes it as `manifest.json`; `crystallm run` records it in the
   * stage's manifest.
   */
  manifest: Record<string, unknown>;
}

/** Options for {@linkcode train}. */
export interface TrainOptions {
  /** Show a progress bar (only on a terminal). @default {true} */
  progress?: boolean;
  /** Line-by-line log output (upstream's "iter N: loss …"). @default {console.error} */
  log?: (line: string) => void;
  /**
   * Read losses back only at log/eval intervals and at the end, so the host never waits for
   * the device between steps. @default {true on CUDA, false on CPU}
   */
  deferStats?: boolean;
}

/** Raised when the data cannot train the configured model (exit code 1 in the CLI). */
export class TrainDataError extends Error {
  /** @param message What is wrong and what to do. */
  constructor(message: string) {
    super(message);
    this.name = "TrainDataError";
  }
}

/** splitmix64-based stream: batches are a pure function of (seed, iteration, purpose), so a
 * resumed run samples exactly the batches the uninterrupted run would have. */
function rngFor(seed: number, ...keys: number[]): () => number {
  let s = BigInt.asUintN(64, BigInt(seed) * 0x9e3779b97f4a7c15n);
  for (const k of keys) s = BigInt.asUintN(64, (s ^ BigInt(k)) * 0xbf58476d1ce4e5b9n + 0x94d049bb133111ebn);
  return () => {
    s = BigInt.asUintN(64, s + 0x9e3779b97f4a7c15n);
    let z = s;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    z ^= z >> 31n;
    return Number(z >> 11n) / 2 ** 53;
  };
}

async function readTokens(path: string): Promise<{ tokens: Uint16Array; sha256: string }> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch {
    throw new TrainDataError(`Cannot train: ${path} not found (run \`crystallm data build\` first)`);
  }
  if (bytes.length % 2) {
    throw new TrainDataError(`Cannot train: ${path} has an odd byte count, not uint16 tokens`);
  }
  const tokens = new Uint16Array(bytes.length / 2);
  new Uint8Array(tokens.buffer).set(bytes); // little-endian hosts only, like upstream's np.memmap
  return { tokens, sha256: sha256(bytes) };
}

/**
 * Refuse a token id outside the vocabulary, naming the file and the offset: such an id
 * would index past the embedding table.
 */
function checkIds(file: string, tokens: Uint16Array, vocabSize: number): void {
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] >= vocabSize) {
      throw new TrainDataError(
        `Cannot train: ${file} holds token id ${tokens[i]} at offset ${i} (byte ${2 * i}), but the vocabulary ` +
          `has ${vocabSize} tokens (meta.pkl); the file is damaged or was tokenized with another vocabulary`,
      );
    }
  }
}

function checkLength(name: string, tokens: Uint16Array, blockSize: number): void {
  if (tokens.length < blockSize + 1) {
    throw new TrainDataError(
      `Cannot train: ${name} holds ${tokens.length} tokens, fewer than block_size + 1 = ${blockSize + 1}; ` +
        `use block_size <= ${Math.max(1, tokens.length - 1)} or a larger dataset`,
    );
  }
}

/** get_batch: x = data[i : i+T], y = data[i+1 : i+1+T] at random offsets, as upstream. */
function getBatch(
  data: Uint16Array,
  B: number,
  T: number,
  rand: () => number,
  x: Int32Array,
  y: Int32Array,
  at = 0,
) {
  const span = data.length - T; // torch.randint(len(data) - block_size, ...)
  for (let b = 0; b < B; b++) {
    const i = Math.floor(rand() * span);
    for (let t = 0; t < T; t++) {
      x[at + b * T + t] = data[i + t];
      y[at + b * T + t] = data[i + t + 1];
    }
  }
}

function csvRow(r: TrainLogRow): string {
  return [r.iteration, r.lr, r.train_loss, r.val_loss ?? "", r.tokens_per_s.toFixed(1)].join(",");
}

const CSV_HEADER = "iteration,lr,train_loss,val_loss,tokens_per_s";

/**
 * Train, finetune or resume a model as the config says, writing `ckpt.pt`,
 * `train_log.csv` and `config.resolved.yaml` into `out_dir`; the run's report is returned as
 * `manifest` for the caller to record (one writer per file).
 *
 * @param config The resolved config (see `loadTrainConfig`).
 * @param options Progress bar and logging.
 * @returns Final counters, the log rows and the last checkpoint's hash.
 * @throws {TrainConfigError} For conflicting settings (e.g. a larger block_size than the checkpoint's).
 * @throws {TrainDataError} For missing or too-small token files.
 *
 * @example A tiny run
 * ```ts ignore
 * import { resolveTrainConfig, train } from "./mod.ts";
 * const config = resolveTrainConfig({ dataset: "../shared/oracle/tokenizer", out_dir: "out/tiny", n_layer: 2,
 *   n_head: 2, n_embd: 64, block_size: 128, batch_size: 4, max_iters: 20, eval_interval: 10, validate: true });
 * const result = await train(config);
 * ```
 */
export async function train(config: TrainConfig, options: TrainOptions = {}): Promise<TrainResult> {
  const log = options.log ?? ((l: string) => console.error(l));
  const mode = trainMode(config);
  const started = new Date();
  const runtime: RuntimeInfo = loadLibrary(config.num_threads > 0 ? { numThreads: config.num_threads } : {});
  checkDevice(config.device, runtime);
  checkDtype(config.device, config.dtype);
  if (!config.dataset) throw new TrainConfigError("The 'dataset' option is required and cannot be empty");
  const dataDir = config.dataset.replace(/\/+$/, "");
  const trainData = await readTokens(`${dataDir}/train.bin`);
  const valData = config.validate ? await readTokens(`${dataDir}/val.bin`) : null;

  // the vocabulary comes from meta.pkl: without it, ids cannot be checked nor the model sized
  let metaVocab: number;
  try {
    metaVocab = (await readMetaPkl(`${dataDir}/meta.pkl`)).vocabSize;
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "it is missing" : (e as Error).message;
    throw new TrainDataError(
      `Cannot train: ${dataDir}/meta.pkl cannot be read (${why}); the vocabulary comes from it: ` +
        `rebuild the token folder with \`crystallm data build\``,
    );
  }
  log(`Found vocab_size = ${metaVocab} (inside ${dataDir}/meta.pkl)`);
  checkIds(`${dataDir}/train.bin`, trainData.tokens, metaVocab);
  if (valData) checkIds(`${dataDir}/val.bin`, valData.tokens, metaVocab);

  const ckptPath = `${config.out_dir}/ckpt.pt`;
  let model: Model;
  let iterNum = 0;
  let bestValLoss = 1e9;
  let init: { path: string; sha256: string } | null = null;
  const modelOpts = {
    device: config.device,
    dtype: config.dtype,
    blockSize: config.block_size,
    vocabSize: metaVocab,
    dropout: config.dropout,
    seed: config.seed,
    onNotice: log,
  };
  const adam = { weight_decay: config.weight_decay, beta1: config.beta1, beta2: config.beta2 };
  if (mode === "scratch") {
    log("Initializing a new model from scratch...");
    model = createModel({
      n_layer: config.n_layer,
      n_head: config.n_head,
      n_embd: config.n_embd,
      block_size: config.block_size,
      vocab_size: metaVocab,
      bias: config.bias,
      dropout: config.dropout,
      device: config.device,
      dtype: config.dtype,
      seed: config.seed,
    });
    model.createOptimizer(adam);
  } else {
    const from = config.init_from === "resume" ? ckptPath : await resolveCheckpointPath(config.init_from);
    log(`${mode === "resume" ? "Resuming training" : "Finetuning"} from ${from}...`);
    const bytes = await Deno.readFile(from).catch(() => {
      throw new TrainConfigError(`Cannot ${mode}: no checkpoint at ${from}`);
    });
    init = { path: from, sha256: sha256(bytes) };
    const ckpt = await readCheckpoint(from);
    if (config.block_size > ckpt.model_args.block_size) {
      throw new TrainConfigError(
        `Cannot use block_size ${config.block_size}: the checkpoint ${from} was trained with block_size ` +
          `${ckpt.model_args.block_size} and has no position embeddings beyond it; set block_size <= ${ckpt.model_args.block_size}`,
      );
    }
    // resume restores everything; finetune keeps weights only (counter, optimizer, scaler reset)
    model = loadModel(ckpt, { ...modelOpts, optimizer: mode === "resume" ? adam : false, source: from });
    if (mode === "resume") {
      iterNum = ckpt.iter_num;
      bestValLoss = ckpt.best_val_loss;
      if (!ckpt.optimizer) log("Note: the checkpoint holds no optimizer state; AdamW starts from zeros");
    } else {
      model.createOptimizer(adam);
    }
  }

  try {
    // created only once the data and the initial weights are known to be usable
    await Deno.mkdir(config.out_dir, { recursive: true });
    const T = model.config.block_size;
    const B = config.batch_size;
    const micro = config.gradient_accumulation_steps;
    checkLength(`${dataDir}/train.bin`, trainData.tokens, T);
    if (valData) checkLength(`${dataDir}/val.bin`, valData.tokens, T);
    const tokensPerIter = micro * B * T;
    log(`tokens per iteration will be: ${tokensPerIter.toLocaleString("en-US")}`);

    const estimateLoss = async (it: number) => {
      const out: Record<string, number> = {};
      const x = new Int32Array(B * T);
      const y = new Int32Array(B * T);
      for (
        const [k, split, data, n] of [[0, "train", trainData.tokens, config.eval_iters_train], [
          1,
          "val",
          valData!.tokens,
          config.eval_iters_val,
        ]] as const
      ) {
        const rand = rngFor(config.seed, 2, it, k);
        let sum = 0;
        for (let i = 0; i < n; i++) {
          getBatch(data, B, T, rand, x, y);
          sum += (await model.forward(x, B, T, { targets: y, logits: false })).loss;
        }
        out[split] = n > 0 ? sum / n : NaN;
        if (n > 0 && !Number.isFinite(out[split])) {
          throw new TrainDataError(
            `Training stopped at iteration ${it}: the ${split} loss is ${out[split]}; no checkpoint was saved from ` +
              `this state (an earlier one, if any, is kept). Lower learning_rate or check the data`,
          );
        }
      }
      return out;
    };

    // train_log.csv: a resumed run keeps the rows before its first iteration
    // it is appended at every log interval, so a killed run keeps the rows it logged
    const csvPath = `${config.out_dir}/train_log.csv`;
    const csvLines = [CSV_HEADER];
    if (mode === "resume") {
      const old = await Deno.readTextFile(csvPath).catch(() => "");
      csvLines.push(...old.split("\n").slice(1).filter((l) => l && Number(l.split(",")[0]) < iterNum));
    }
    await writeFileAtomic(csvPath, new TextEncoder().encode(csvLines.map((l) => l + "\n").join("")));
    let pendingRows: string[] = [];
    const flushLog = async () => {
      if (!pendingRows.length) return;
      await Deno.writeTextFile(csvPath, pendingRows.map((l) => l + "\n").join(""), { append: true });
      pendingRows = [];
    };
    const rows: TrainLogRow[] = [];
    let lastCkpt: TrainResult["checkpoint"] = null;
    const resolvedConfig = { ...config };
    await writeFileAtomic(
      `${config.out_dir}/config.resolved.yaml`,
      new TextEncoder().encode(
        `# crystallm train: defaults + ${"overrides"}, mode ${mode}\n${stringifyYaml(resolvedConfig)}`,
      ),
    );

    const saveCheckpoint = async (lr: number) => {
      const ckpt = checkpointFromModel(model, {
        iter_num: iterNum,
        best_val_loss: bestValLoss,
        config: { ...resolvedConfig },
        lr,
      });
      const bad = findNonFinite(ckpt.model);
      if (bad) {
        throw new TrainDataError(
          `Training stopped at iteration ${iterNum}: ${bad.name} holds ${bad.value}; no checkpoint was saved from ` +
            `this state (an earlier one, if any, is kept). Lower learning_rate or check the data`,
        );
      }
      const { sha256 } = await writeCheckpoint(ckptPath, ckpt);
      lastCkpt = { path: ckptPath, sha256, iter_num: iterNum };
      log(`saving checkpoint to ${config.out_dir}...`);
    };

    const total = Math.max(0, config.max_iters + 1 - iterNum);
    const bar = options.progress !== false && Deno.stderr.isTerminal()
      ? new SingleBar({
        format: "train |{bar}| {value}/{total} iters | loss {loss} | {tps} tok/s | eta {eta_formatted}",
        stream: {
          write: (s: string) => Deno.stderr.writeSync(new TextEncoder().encode(s)),
          isTTY: true,
        } as never,
      })
      : null;
    bar?.start(total, 0, { loss: "-", tps: "-" });

    const x = new Int32Array(micro * B * T);
    const y = new Int32Array(micro * B * T);
    let trainSeconds = 0;
    let trainTokens = 0;
    const t0 = performance.now();
    // On CUDA a step reads nothing back, so the host runs ahead of the GPU; losses are read
    // in one copy at log and eval intervals and at the end, and their rows written then.
    const deferred = options.deferStats ?? config.device.startsWith("cuda");
    let pending: { iteration: number; lr: number; val_loss: number | null }[] = [];
    let pendingT0 = 0;
    const flush = async (): Promise<TrainLogRow | undefined> => {
      if (pending.length === 0) return undefined;
      const stats = await model.flushTrainStats(pending.length);
      const dt = (performance.now() - pendingT0) / 1000 / pending.length;
      trainSeconds += dt * pending.length;
      trainTokens += tokensPerIter * pending.length;
      let row: TrainLogRow | undefined;
      pending.forEach((p, i) => {
        row = { ...p, train_loss: stats[i].loss, tokens_per_s: tokensPerIter / dt };
        rows.push(row);
        pendingRows.push(csvRow(row));
      });
      pending = [];
      await flushLog();
      const bad = rows.slice(-stats.length).find((r) => !Number.isFinite(r.train_loss));
      if (bad) {
        throw new TrainDataError(
          `Training stopped at iteration ${bad.iteration}: the loss is ${bad.train_loss}; no checkpoint was saved ` +
            `from this state (an earlier one, if any, is kept). Lower learning_rate or check the data`,
        );
      }
      return row;
    };
    while (true) {
      const lr = learningRate(iterNum, config);
      let valLoss: number | null = null;
      if (iterNum % config.eval_interval === 0) {
        await flush();
        let losses: Record<string, number> | null = null;
        if (config.validate) {
          losses = await estimateLoss(iterNum);
          valLoss = losses.val;
          log(`step ${iterNum}: train loss ${losses.train.toFixed(4)}, val loss ${losses.val.toFixed(4)}`);
        }
        if ((losses && losses.val < bestValLoss) || config.always_save_checkpoint) {
          bestValLoss = losses ? losses.val : 0;
          if (iterNum > 0) await saveCheckpoint(lr);
        }
      }
      if (iterNum === 0 && config.eval_only) break;

      if (deferred && pending.length === 0) pendingT0 = performance.now();
      const rand = rngFor(config.seed, 1, iterNum);
      for (let m = 0; m < micro; m++) getBatch(trainData.tokens, B, T, rand, x, y, m * B * T);
      if (deferred) {
        await model.trainStepAsync(x, y, { micro, B, T, lr, grad_clip: config.grad_clip });
        pending.push({ iteration: iterNum, lr, val_loss: valLoss });
        const last = iterNum % config.log_interval === 0 || iterNum + 1 > config.max_iters ? await flush() : undefined;
        if (last && !bar) {
          log(`iter ${iterNum}: loss ${last.train_loss.toFixed(4)}, ${Math.round(last.tokens_per_s)} tokens/s`);
        }
        bar?.increment(1, last ? { loss: last.train_loss.toFixed(4), tps: Math.round(last.tokens_per_s) } : {});
        iterNum++;
        if (iterNum > config.max_iters) break;
        continue;
      }
      const s0 = performance.now();
      const { loss } = await model.trainStep(x, y, { micro, B, T, lr, grad_clip: config.grad_clip });
      const dt = (performance.now() - s0) / 1000;
      trainSeconds += dt;
      trainTokens += tokensPerIter;
      const row: TrainLogRow = {
        iteration: iterNum,
        lr,
        train_loss: loss,
        val_loss: valLoss,
        tokens_per_s: tokensPerIter / dt,
      };
      rows.push(row);
      pendingRows.push(csvRow(row));
      if (!Number.isFinite(loss)) {
        await flushLog();
        throw new TrainDataError(
          `Training stopped at iteration ${iterNum}: the loss is ${loss}; no checkpoint was saved from this state ` +
            `(an earlier one, if any, is kept). Lower learning_rate or check the data`,
        );
      }
      if (iterNum % config.log_interval === 0) {
        await flushLog();
        if (bar) bar.increment(1, { loss: loss.toFixed(4), tps: Math.round(row.tokens_per_s) });
        else {log(
            `iter ${iterNum}: loss ${loss.toFixed(4)}, time ${(dt * 1000).toFixed(2)}ms, ${
              Math.round(row.tokens_per_s)
            } tokens/s`,
          );}
      } else bar?.increment(1);
      iterNum++;
      if (iterNum > config.max_iters) break;
    }
    bar?.stop();
    await flushLog();

    const tokensPerS = trainSeconds > 0 ? trainTokens / trainSeconds : 0;
    const deviceInfo = describeDevice(config.device, runtime);
    const manifest = {
      stage: "train",
      mode,
      abi_version: ABI_VERSION,
      config: resolvedConfig,
      data: {
        dir: dataDir,
        train_bin: { sha256: trainData.sha256, tokens: trainData.tokens.length },
        val_bin: valData ? { sha256: valData.sha256, tokens: valData.tokens.length } : null,
        vocab_size: model.config.vocab_size,
      },
      init_checkpoint: init,
      libtorch: {
        version: runtime.torch_version,
        sdpa: runtime.sdpa,
        cpu_kernels: runtime.cpu_kernels,
        threads: runtime.num_threads,
        cxx11_abi: runtime.cxx11_abi,
      },
      device: config.device,
      device_info: deviceInfo,
      dtype: config.dtype,
      seeds: { seed: config.seed, batch_stream: "splitmix64(seed, iteration)" },
      timings: {
        started: started.toISOString(),
        finished: new Date().toISOString(),
        wall_seconds: (performance.now() - t0) / 1000,
        train_seconds: trainSeconds,
        tokens_per_s: tokensPerS,
      },
      iter_num: iterNum,
      best_val_loss: bestValLoss,
      checkpoint: lastCkpt,
    };
    return {
      mode,
      iter_num: iterNum,
      best_val_loss: bestValLoss,
      log: rows,
      checkpoint: lastCkpt,
      tokens_per_s: tokensPerS,
      device_info: deviceInfo,
      manifest,
    };
  } finally {
    model.dispose();
  }
}
