/**
 * Training config: upstream CrystaLLM's `train.py` keys (commit 8e81a86, its
 * `TrainDefaults`), so a user's existing YAML works as it is, plus `mode`, `seed` and
 * `num_threads`.
 *
 * @module
 */
import { parse as parseYaml } from "yaml";

/** How a run starts. */
export type TrainMode = "scratch" | "finetune" | "resume";

/** Training settings; keys and defaults as upstream's train.py. */
export interface TrainConfig {
  out_dir: string;
  eval_interval: number;
  log_interval: number;
  eval_iters_train: number;
  eval_iters_val: number;
  eval_only: boolean;
  always_save_checkpoint: boolean;
  /** `scratch`, `resume` (from out_dir/ckpt.pt), or a run dir / ckpt.pt to start from. */
  init_from: string;
  /** Folder with train.bin, val.bin and meta.pkl. */
  dataset: string;
  gradient_accumulation_steps: number;
  batch_size: number;
  block_size: number;
  n_layer: number;
  n_head: number;
  n_embd: number;
  dropout: number;
  bias: boolean;
  learning_rate: number;
  max_iters: number;
  weight_decay: number;
  beta1: number;
  beta2: number;
  grad_clip: number;
  decay_lr: boolean;
  warmup_iters: number;
  lr_decay_iters: number;
  min_lr: number;
  device: string;
  dtype: "float32" | "bfloat16" | "float16";
  /** Accepted for compatibility; libtorch runs eagerly. */
  compile: boolean;
  /** Upstream's under-represented-sample boost; only 0 is supported. */
  underrep_p: number;
  /** Upstream's flag to compute the validation loss at evaluations. */
  validate: boolean;
  /**
   * Ours: `scratch`, `finetune` (weights only; iteration counter and optimizer reset) or
   * `resume` (everything restored). Derived from init_from when unset.
   */
  mode: TrainMode | null;
  /** Ours: seed of initialisation, dropout and batch sampling (upstream uses 1337). */
  seed: number;
  /** Ours: libtorch intra-op threads (0 = every core). */
  num_threads: number;
}

/** Defaults of upstream's train.py `TrainDefaults` (8e81a86). */
export const TRAIN_DEFAULTS: Readonly<TrainConfig> = Object.freeze({
  out_dir: "out",
  eval_interval: 250,
  log_interval: 1,
  eval_iters_train: 200,
  eval_iters_val: 200,
  eval_only: false,
  always_save_checkpoint: false,
  init_from: "scratch",
  dataset: "",
  gradient_accumulation_steps: 1,
  batch_size: 64,
  block_size: 2048,
  n_layer: 12,
  n_head: 12,
  n_embd: 768,
  dropout: 0.0,
  bias: false,
  learning_rate: 6e-4,
  max_iters: 600000,
  weight_decay: 1e-1,
  beta1: 0.9,
  beta2: 0.95,
  grad_clip: 1.0,
  decay_lr: true,
  warmup_iters: 2000,
  lr_decay_iters: 600000,
  min_lr: 6e-5,
  device: "cpu",
  dtype: "float32",
  compile: false,
  underrep_p: 0.0,
  validate: false,
  mode: null,
  seed: 1337,
  num_threads: 0,
});

/** A usage or config mistake (exit code 2 in the CLI). */
export class TrainConfigError extends Error {
  /**
   * @param message What is wrong, naming the key and file.
   */
  constructor(message: string) {
    super(message);
    this.name = "TrainConfigError";
  }
}

function coerce(key: keyof TrainConfig, value: unknown, where: string): unknown {
  const dflt = TRAIN_DEFAULTS[key];
  if (key === "mode") {
    if (value === null || value === "scratch" || value === "finetune" || value === "resume") return value;
    throw new TrainConfigError(`Invalid mode in ${where}: ${value} (scratch, finetune or resume)`);
  }
  if (typeof dflt === "number") {
    const n = typeof value === "string" ? Number(value) : value;
    if (typeof n !== "number" || !Number.isFinite(n)) {
      throw new TrainConfigError(`Invalid ${key} in ${where}: ${value} is not a number`);
    }
    return n;
  }
  if (typeof dflt === "boolean") {
    if (typeof value === "boolean") return value;
    if (value === "true" || value === "True") return true;
    if (value === "false" || value === "False") return false;
    throw new TrainConfigError(`Invalid ${key} in ${where}: ${value} is not a boolean`);
  }
  if (value === null || value === undefined) throw new TrainConfigError(`Invalid ${key} in ${where}: empty`);
  return String(value);
}

/**
 * Resolve a config: defaults, then a YAML mapping, then `key=value` overrides.
 *
 * @param values The YAML's mapping (flat upstream style, or an experiment file's `train:`).
 * @param options `sets` (`key=value` strings, values parsed as YAML) and `source` for messages.
 * @returns The full config.
 * @throws {TrainConfigError} For an unknown key (naming it and the file) or a bad value.
 *
 * @example Override one key
 * ```ts
 * import { resolveTrainConfig } from "./config.ts";
 * import assert from "node:assert/strict";
 * const c = resolveTrainConfig({ batch_size: 4 }, { sets: ["max_iters=10"] });
 * assert.equal(c.batch_size, 4);
 * assert.equal(c.max_iters, 10);
 * ```
 */
export function resolveTrainConfig(
  values: Record<string, unknown>,
  options: { sets?: string[]; source?: string } = {},
): TrainConfig {
  const { config, problems } = checkTrainConfig(values, options);
  if (problems.length) throw new TrainConfigError(problems.join("; "));
  return config;
}

/**
 * Every problem of a config at once (unknown keys, types, ranges, `n_head` not dividing
 * `n_embd`), for validating a whole experiment before anything runs.
 *
 * @param values The YAML's mapping.
 * @param options `sets` and `source`, as {@linkcode resolveTrainConfig}.
 * @returns The config as far as it resolved, and one message per problem.
 */
export function checkTrainConfig(
  values: Record<string, unknown>,
  options: { sets?: string[]; source?: string } = {},
): { config: TrainConfig; problems: string[] } {
  const source = options.source ?? "config";
  const config = { ...TRAIN_DEFAULTS } as Record<string, unknown>;
  const problems: string[] = [];
  const apply = (key: string, value: unknown, where: string) => {
    if (!(key in TRAIN_DEFAULTS)) {
      problems.push(`Unknown key ${key} in ${where}`);
      return;
    }
    try {
      config[key] = coerce(key as keyof TrainConfig, value, where);
    } catch (e) {
      problems.push((e as Error).message);
    }
  };
  for (const [k, v] of Object.entries(values)) apply(k, v, source);
  for (const s of options.sets ?? []) {
    const eq = s.indexOf("=");
    if (eq <= 0) {
      problems.push(`Invalid --set ${s}: expected key=value`);
      continue;
    }
    apply(s.slice(0, eq).trim(), parseYaml(s.slice(eq + 1)), "--set");
  }
  const c = config as unknown as TrainConfig;
  for (
    const k of [
      "batch_size",
      "block_size",
      "n_layer",
      "n_head",
      "n_embd",
      "gradient_accumulation_steps",
      "eval_interval",
      "log_interval",
    ] as const
  ) {
    if (!(c[k] >= 1) || !Number.isInteger(c[k])) {
      problems.push(`Invalid ${k} in ${source}: must be a positive integer`);
    }
  }
  for (const k of ["max_iters", "eval_iters_train", "eval_iters_val", "warmup_iters", "lr_decay_iters"] as const) {
    if (!(c[k] >= 0) || !Number.isInteger(c[k])) {
      problems.push(`Invalid ${k} in ${source}: must be an integer >= 0`);
    }
  }
  if (!(c.learning_rate > 0)) problems.push(`Invalid learning_rate in ${source}: must be > 0`);
  if (!(c.dropout >= 0 && c.dropout < 1)) problems.push(`Invalid dropout in ${source}: must be in [0, 1)`);
  if (c.n_head >= 1 && c.n_embd >= 1 && c.n_embd % c.n_head !== 0) {
    problems.push(`Invalid n_head in ${source}: n_head ${c.n_head} does not divide n_embd ${c.n_embd}`);
  }
  if (c.underrep_p !== 0) {
    problems.push(`Unsupported underrep_p ${c.underrep_p} in ${source}: only 0 is implemented`);
  }
  if (!["float32", "bfloat16", "float16"].includes(c.dtype)) {
    problems.push(`Invalid dtype in ${source}: ${c.dtype} (float32, bfloat16 or float16)`);
  }
  if (!/^(cpu|cuda(:\d+)?)$/.test(c.device)) {
    problems.push(`Invalid device in ${source}: ${c.device} (cpu or cuda)`);
  }
  return { config: c, problems };
}

/**
 * Read a YAML config file: upstream's flat train YAML, or an experiment file with a
 * `train:` section.
 *
 * @param path YAML file.
 * @param sets `key=value` overrides.
 * @returns The resolved config.
 * @throws {TrainConfigError} For unknown keys, bad values, or YAML that is not a mapping.
 */
export async function loadTrainConfig(path: string, sets: string[] = []): Promise<TrainConfig> {
  let doc: unknown;
  try {
    doc = parseYaml(await Deno.readTextFile(path));
  } catch (e) {
    throw new TrainConfigError(`Cannot read config ${path}: ${(e as Error).message}`);
  }
  doc ??= {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new TrainConfigError(`Cannot read config ${path}: not a mapping`);
  }
  const map = doc as Record<string, unknown>;
  const section = map.train && typeof map.train === "object" && !Array.isArray(map.train)
    ? map.train as Record<string, unknown>
    : map;
  return resolveTrainConfig(section, { sets, source: path });
}

/**
 * The mode a config asks for: explicit `mode`, else `scratch`/`resume` from init_from, else
 * `finetune` from a checkpoint path.
 *
 * @param c The config.
 * @returns The mode.
 * @throws {TrainConfigError} When mode and init_from disagree.
 */
export function trainMode(c: TrainConfig): TrainMode {
  const implied: TrainMode = c.init_from === "scratch"
    ? "scratch"
    : c.init_from === "resume"
    ? "resume"
    : "finetune";
  if (c.mode === null) return implied;
  if (c.mode === "scratch" && c.init_from !== "scratch") {
    throw new TrainConfigError(`mode scratch conflicts with init_from ${c.init_from}`);
  }
  if (c.mode !== "scratch" && c.init_from === "scratch") {
    throw new TrainConfigError(`mode ${c.mode} needs init_from: resume or a checkpoint path`);
  }
  return c.mode;
}

/**
 * Learning rate at an iteration: linear warmup, then cosine decay to min_lr (upstream
 * train.py `get_lr`).
 *
 * @param it Iteration.
 * @param c `learning_rate`, `warmup_iters`, `lr_decay_iters`, `min_lr`, `decay_lr`.
 * @returns The learning rate.
 *
 * @example Warmup and floor
 * ```ts
 * import { learningRate, TRAIN_DEFAULTS } from "./config.ts";
 * import assert from "node:assert/strict";
 * const c = { ...TRAIN_DEFAULTS, warmup_iters: 10, lr_decay_iters: 100 };
 * assert.equal(learningRate(5, c), c.learning_rate / 2);
 * assert.equal(learningRate(200, c), c.min_lr);
 * ```
 */
export function learningRate(
  it: number,
  c: Pick<TrainConfig, "learning_rate" | "warmup_iters" | "lr_decay_iters" | "min_lr" | "decay_lr">,
): number {
  if (!c.decay_lr) return c.learning_rate;
  // 1) linear warmup for warmup_iters steps
  if (it < c.warmup_iters) return (c.learning_rate * it) / c.warmup_iters;
  // 2) if it > lr_decay_iters, return min learning rate
  if (it > c.lr_decay_iters) return c.min_lr;
  // 3) in between, use cosine decay down to min learning rate
  const ratio = (it - c.warmup_iters) / (c.lr_decay_iters - c.warmup_iters);
  const coeff = 0.5 * (1.0 + Math.cos(Math.PI * ratio)); // coeff ranges 0..1
  return c.min_lr + coeff * (c.learning_rate - c.min_lr);
}
