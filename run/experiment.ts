/**
 * Experiment files: `experiments/<name>.yaml`, declarative data with one
 * section per stage. Defaults live here in code (like nanoGPT's `GPTConfig`);
 * an unknown key is an error naming the key and the file.
 *
 * ```yaml
 * experiment: nacl10
 * dataset: { sources: [fixtures/nacl10], val_fraction: 0.2 }
 * models:
 *   nacl10: { train: { init_from: fixtures/base, block_size: 256, max_iters: 200 } }
 * prompts: ["data_Na2Cl2\n"]
 * sample: { n: 10, top_k: 5, max_new_tokens: 2000, seed: 123 }
 * ```
 *
 * @module
 */
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { basename } from "node:path";
import { promptSlug, promptText } from "../sample/prompt.ts";
import { checkTrainConfig, type TrainConfig, trainMode } from "../train/config.ts";
import type { BuildOptions } from "../data/build.ts";
import type { SubsetOptions } from "../data/subset.ts";
import { keepAsIs } from "../data/symmetrize_step.ts";
import type { GenerateOptions } from "../sample/generate.ts";
import { nameProblem } from "./paths.ts";
import { benchmarkProblems, type BenchmarkSpec } from "../csp/spec.ts";

/** Where a model's weights come from. */
export interface ModelSpec {
  /**
   * Use this checkpoint (file or run directory) as it is; with `engine: onnx` it may also be a
   * model exported by `crystallm export onnx` (`.onnx`, as offline bundles made with
   * `bundle create --engine onnx` carry their trained models).
   */
  checkpoint?: string;
  /**
   * Train it: upstream `train.py` keys (`init_from`, `max_iters`, `learning_rate`, …).
   * `init_from` may name another model of the experiment, a checkpoint path, or `scratch`.
   * `dataset` defaults to the experiment's dataset stage.
   */
  train?: Partial<TrainConfig>;
  /**
   * The sampling engine: `libtorch` (default), or `onnx` (the checkpoint is exported with
   * `crystallm export onnx` and sampled with onnxruntime-node, on the CPU).
   */
  engine?: "libtorch" | "onnx";
}

/** The dataset stage: build a token directory, or use one. */
export interface DatasetSpec {
  /** CIF directories, CSV(.gz) files with a `cif` column, or .tar.gz archives (paths relative to the repo). */
  sources?: string[];
  /** Use an existing token directory (train.bin, val.bin, meta.pkl). */
  tokens?: string;
  /** Take whole CIFs from a token directory, as the seed's subset script. */
  subset?: SubsetSpec;
  val_fraction?: number;
  seed?: number;
  dedupe?: boolean;
  /** Set false when sources are already CifWriter(symprec=0.1) output. */
  symmetrize?: boolean;
}

/** `dataset.subset`: whole CIFs of another token directory. */
export interface SubsetSpec {
  in: string;
  n_train: number;
  n_val: number;
  min_len?: number;
  seed?: number;
  allow_fewer?: boolean;
}

/** Sampling settings (upstream `sample.py` names where they exist). */
export interface SampleSpec {
  n: number;
  top_k: number;
  temperature: number;
  /** Sweep: one sampling run per temperature (overrides `temperature`). */
  temperatures?: number[];
  max_new_tokens: number;
  seed: number;
  batch: number;
  device: string;
  /** Autocast dtype for sampling (`bfloat16` on CUDA). */
  dtype?: "float32" | "bfloat16" | "float16";
}

/** A parsed, defaulted experiment. */
export interface ExperimentSpec {
  experiment: string;
  description: string;
  dataset: DatasetSpec | null;
  models: Record<string, ModelSpec>;
  /** Prompts: `data_Na2Cl2\n`, or a composition (`Na2Cl2`, `Na2Cl2 Fm-3m` with a space group). */
  prompts: string[];
  sample: SampleSpec;
  /**
   * Where every stage runs unless a model's `train.device` or `sample.device` says
   * otherwise (`--set device=cuda`); absent means each section's own default (cpu).
   */
  device?: string;
  /** Autocast dtype for training and sampling unless a section sets its own. */
  dtype?: "float32" | "bfloat16" | "float16";
  evaluate: { symprec: number; novelty_against: string | null };
  /** Metrics kept in the snapshot (names from summary.csv), per model × prompt and macro. */
  snapshot: { metrics: string[]; macro: string[] };
  /** Named override sets, e.g. `ci` for the reduced run of the test suite. */
  profiles: Record<string, Record<string, unknown>>;
  /** The CSP benchmark: generations for each test composition, scored by match rate (csp/). */
  benchmark?: BenchmarkSpec;
}

/** Defaults of every section; a YAML sets only what differs. */
export const SAMPLE_DEFAULTS: SampleSpec = {
  n: 10,
  top_k: 10,
  temperature: 1.0,
  max_new_tokens: 1000,
  seed: 1337,
  batch: 16,
  device: "cpu",
};

/** Thrown for a malformed experiment file; names the file and every problem found. */
export class ExperimentError extends Error {
  override name = "ExperimentError";
  /** Each problem on its own, as `key: what is wrong`. */
  problems: string[];
  /**
   * @param message The whole message.
   * @param problems The problems it lists.
   */
  constructor(message: string, problems: string[] = [message]) {
    super(message);
    this.problems = problems;
  }
}

/**
 * One error listing every problem of a file.
 *
 * @param file The experiment file.
 * @param problems `key: what is wrong` lines.
 * @returns The error to throw.
 */
export function experimentProblems(file: string, problems: string[]): ExperimentError {
  if (problems.length === 1) return new ExperimentError(`${file}: ${problems[0]}`, problems);
  return new ExperimentError(
    `${file}: ${problems.length} problems, fix them all before running:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    problems,
  );
}

const TOP_KEYS = [
  "experiment",
  "description",
  "dataset",
  "models",
  "prompts",
  "sample",
  "evaluate",
  "snapshot",
  "profiles",
  "device",
  "dtype",
  "benchmark",
];
const DATASET_KEYS = ["sources", "tokens", "subset", "val_fraction", "seed", "dedupe", "symmetrize"];
const SUBSET_KEYS = ["in", "n_train", "n_val", "min_len", "seed", "allow_fewer"];
const SAMPLE_KEYS = Object.keys(SAMPLE_DEFAULTS).concat(["temperatures", "dtype"]);
const DEVICE_RE = /^(cpu|cuda(:\d+)?)$/;
const DTYPES = ["float32", "bfloat16", "float16"];
const MODEL_KEYS = ["checkpoint", "train", "engine"];

function checkKeys(obj: unknown, allowed: string[] | null, where: string, problems: string[]): Record<string, unknown> {
  if (obj === null || obj === undefined) return {};
  if (typeof obj !== "object" || Array.isArray(obj)) {
    problems.push(`${where || "the file"} must be a mapping`);
    return {};
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (allowed && !allowed.includes(k)) {
      problems.push(`unknown key "${where ? where + "." : ""}${k}" (allowed: ${allowed.join(", ")})`);
    } else out[k] = v;
  }
  return out;
}

/**
 * Parse a scalar given on the command line (`--set sample.n=50`) as YAML does.
 *
 * @param text The value text.
 * @returns Number, boolean, null, list or string.
 */
export function parseScalar(text: string): unknown {
  try {
    return parseYaml(text);
  } catch {
    return text;
  }
}

/**
 * Apply `key.path=value` overrides to a raw (undefaulted) experiment object.
 *
 * @param raw The YAML data (modified in place).
 * @param sets Overrides such as `sample.n=50` or `models.nacl10.train.max_iters=20`.
 * @param file For messages.
 * @returns The same object.
 * @throws {ExperimentError} On a malformed override, or one for a model the experiment does not define.
 */
export function applyOverrides(
  raw: Record<string, unknown>,
  sets: string[],
  file: string,
): Record<string, unknown> {
  for (const s of sets) {
    const eq = s.indexOf("=");
    if (eq <= 0) throw new ExperimentError(`${file}: override "${s}" is not key=value`);
    const path = s.slice(0, eq).split(".");
    if (path[0] === "models" && path.length > 1) {
      // a typo here used to add a model that trains from scratch with the defaults
      const models = raw.models && typeof raw.models === "object" ? Object.keys(raw.models) : [];
      if (!models.includes(path[1])) {
        throw new ExperimentError(
          `${file}: override "${s}": the experiment defines no model "${path[1]}" ` +
            `(its models: ${models.join(", ") || "none"})`,
        );
      }
    }
    let obj = raw as Record<string, unknown>;
    for (const p of path.slice(0, -1)) {
      if (obj[p] === undefined || obj[p] === null) obj[p] = {};
      if (typeof obj[p] !== "object") {
        throw new ExperimentError(`${file}: override "${s}": ${p} is not a section`);
      }
      obj = obj[p] as Record<string, unknown>;
    }
    obj[path[path.length - 1]] = parseScalar(s.slice(eq + 1));
  }
  return raw;
}

const isInt = (v: unknown, min: number) => typeof v === "number" && Number.isInteger(v) && v >= min;

function checkNumber(
  problems: string[],
  key: string,
  v: unknown,
  rule: "int>=0" | "int>=1" | "int" | ">0" | "[0,1]",
): void {
  const ok = rule === "int>=0"
    ? isInt(v, 0)
    : rule === "int>=1"
    ? isInt(v, 1)
    : rule === "int"
    ? isInt(v, -Infinity)
    : rule === ">0"
    ? typeof v === "number" && Number.isFinite(v) && v > 0
    : typeof v === "number" && v >= 0 && v <= 1;
  if (ok) return;
  const want = { "int>=0": "an integer >= 0", "int>=1": "an integer >= 1", "int": "an integer", ">0": "a finite number > 0", "[0,1]": "a number in [0, 1]" }[rule];
  problems.push(`${key} must be ${want}, got ${JSON.stringify(v)}`);
}

/** Problems of a model's `train:` section that the YAML alone shows (keys, types, ranges). */
function trainProblems(name: string, train: unknown, models: string[]): string[] {
  const where = `models.${name}.train`;
  if (typeof train !== "object" || train === null || Array.isArray(train)) return [`${where} must be a mapping`];
  const values = { ...(train as Record<string, unknown>) };
  // the runner sets these; a model name as init_from is resolved by the runner
  delete values.out_dir;
  delete values.dataset;
  if (typeof values.init_from === "string" && models.includes(values.init_from)) values.init_from = "model-checkpoint";
  const { config, problems } = checkTrainConfig(values, { source: where });
  if (problems.length) return problems;
  try {
    trainMode(config);
  } catch (e) {
    problems.push(`${where}: ${(e as Error).message}`);
  }
  return problems;
}

/**
 * Validate and default an experiment object: every problem the YAML alone shows (unknown
 * keys, types, ranges, names that become paths) is collected and reported at once.
 *
 * @param raw Parsed YAML.
 * @param file The file it came from (for messages and the default name).
 * @returns The experiment with defaults filled in.
 * @throws {ExperimentError} Listing every problem found.
 */
export function resolveExperiment(raw: Record<string, unknown>, file: string): ExperimentSpec {
  const problems: string[] = [];
  const top = checkKeys(raw, TOP_KEYS, "", problems);
  const ds = top.dataset ? checkKeys(top.dataset, DATASET_KEYS, "dataset", problems) as DatasetSpec : null;
  if (ds) {
    if ([ds.sources, ds.tokens, ds.subset].filter(Boolean).length !== 1) {
      problems.push("dataset needs exactly one of sources, tokens, subset");
    }
    if (ds.sources !== undefined && (!Array.isArray(ds.sources) || !ds.sources.every((x) => typeof x === "string"))) {
      problems.push("dataset.sources must be a list of paths");
    }
    if (ds.tokens !== undefined && typeof ds.tokens !== "string") problems.push("dataset.tokens must be a path");
    if (ds.val_fraction !== undefined) checkNumber(problems, "dataset.val_fraction", ds.val_fraction, "[0,1]");
    if (ds.seed !== undefined) checkNumber(problems, "dataset.seed", ds.seed, "int");
    if (ds.subset) {
      const sub = checkKeys(ds.subset, SUBSET_KEYS, "dataset.subset", problems);
      if (typeof sub.in !== "string") problems.push("dataset.subset.in must be a path");
      checkNumber(problems, "dataset.subset.n_train", sub.n_train, "int>=1");
      checkNumber(problems, "dataset.subset.n_val", sub.n_val, "int>=0");
      if (sub.min_len !== undefined) checkNumber(problems, "dataset.subset.min_len", sub.min_len, "int>=1");
      if (sub.seed !== undefined) checkNumber(problems, "dataset.subset.seed", sub.seed, "int");
    }
  }
  const modelsRaw = checkKeys(top.models, null, "models", problems);
  const models: Record<string, ModelSpec> = {};
  for (const [name, m] of Object.entries(modelsRaw)) {
    const bad = nameProblem(name);
    if (bad) problems.push(`models: model name ${bad}; it names the folder train/<model>`);
    const spec = checkKeys(m, MODEL_KEYS, `models.${name}`, problems) as ModelSpec;
    if (!spec.checkpoint === !spec.train) {
      problems.push(`models.${name} needs exactly one of checkpoint, train`);
    }
    if (spec.checkpoint !== undefined && typeof spec.checkpoint !== "string") {
      problems.push(`models.${name}.checkpoint must be a path`);
    }
    if (typeof spec.checkpoint === "string" && isOnnxModel(spec.checkpoint) && spec.engine !== "onnx") {
      problems.push(
        `models.${name}.checkpoint ${spec.checkpoint} is an ONNX model: only the ONNX engine samples it (set engine: onnx)`,
      );
    }
    if (spec.train) problems.push(...trainProblems(name, spec.train, Object.keys(modelsRaw)));
    if (spec.engine !== undefined && spec.engine !== "libtorch" && spec.engine !== "onnx") {
      problems.push(`models.${name}.engine must be libtorch or onnx, got ${JSON.stringify(spec.engine)}`);
    }
    models[name] = spec;
  }
  if (Object.keys(modelsRaw).length === 0) problems.push("models is empty");
  // a CSP benchmark experiment takes its prompts from the benchmark's test compositions
  problems.push(...benchmarkProblems(top.benchmark));
  const prompts = (top.prompts ?? (top.benchmark ? [] : undefined)) as unknown;
  if (
    !Array.isArray(prompts) || (prompts.length === 0 && !top.benchmark) || !prompts.every((p) => typeof p === "string")
  ) {
    problems.push("prompts must be a non-empty list of strings");
  } else {
    const slugs = new Map<string, string>();
    for (const p of prompts as string[]) {
      let slug: string;
      try {
        slug = promptSlug(p);
      } catch (e) {
        problems.push(`prompts: ${JSON.stringify(p)}: ${(e as Error).message}`);
        continue;
      }
      if (!/^[A-Za-z0-9_]/.test(slug)) {
        problems.push(`prompts: ${JSON.stringify(p)} names no composition (its folder would be "${slug}")`);
      } else if (slugs.has(slug)) {
        problems.push(`prompts: ${JSON.stringify(p)} and ${JSON.stringify(slugs.get(slug))} share the folder ${slug}`);
      }
      slugs.set(slug, p);
    }
  }
  const sampleRaw = checkKeys(top.sample, SAMPLE_KEYS, "sample", problems);
  if (top.device !== undefined && (typeof top.device !== "string" || !DEVICE_RE.test(top.device))) {
    problems.push(`device must be cpu, cuda or cuda:N, got ${JSON.stringify(top.device)}`);
  }
  if (top.dtype !== undefined && !DTYPES.includes(top.dtype as string)) {
    problems.push(`dtype must be one of ${DTYPES.join(", ")}, got ${JSON.stringify(top.dtype)}`);
  }
  const sample = {
    ...SAMPLE_DEFAULTS,
    ...(top.device === undefined ? {} : { device: top.device }),
    ...(top.dtype === undefined ? {} : { dtype: top.dtype }),
    ...sampleRaw,
  } as SampleSpec;
  checkNumber(problems, "sample.n", sample.n, "int>=1");
  checkNumber(problems, "sample.top_k", sample.top_k, "int>=0");
  checkNumber(problems, "sample.temperature", sample.temperature, ">0");
  checkNumber(problems, "sample.max_new_tokens", sample.max_new_tokens, "int>=1");
  checkNumber(problems, "sample.seed", sample.seed, "int");
  checkNumber(problems, "sample.batch", sample.batch, "int>=1");
  if (sample.temperatures !== undefined) {
    if (!Array.isArray(sample.temperatures) || sample.temperatures.length === 0) {
      problems.push("sample.temperatures must be a non-empty list of numbers > 0");
    } else {
      sample.temperatures.forEach((t, i) => checkNumber(problems, `sample.temperatures[${i}]`, t, ">0"));
    }
  }
  if (sampleRaw.device !== undefined && (typeof sample.device !== "string" || !DEVICE_RE.test(sample.device))) {
    problems.push(`sample.device must be cpu, cuda or cuda:N, got ${JSON.stringify(sample.device)}`);
  }
  if (sampleRaw.dtype !== undefined && !DTYPES.includes(sample.dtype as string)) {
    problems.push(`sample.dtype must be one of ${DTYPES.join(", ")}, got ${JSON.stringify(sample.dtype)}`);
  }
  const ev = checkKeys(top.evaluate, ["symprec", "novelty_against"], "evaluate", problems);
  if (ev.symprec !== undefined) checkNumber(problems, "evaluate.symprec", ev.symprec, ">0");
  const snap = checkKeys(top.snapshot, ["metrics", "macro"], "snapshot", problems);
  for (const k of ["metrics", "macro"]) {
    const v = snap[k];
    if (v !== undefined && (!Array.isArray(v) || !v.every((x) => typeof x === "string"))) {
      problems.push(`snapshot.${k} must be a list of metric names`);
    }
  }
  const experiment = (top.experiment as string) ?? basename(file).replace(/\.ya?ml$/, "");
  const badName = nameProblem(experiment);
  if (badName) problems.push(`experiment: ${badName}; it names the folder <--out>/<experiment>`);
  if (problems.length) throw experimentProblems(file, problems);
  return {
    experiment,
    description: (top.description as string) ?? "",
    dataset: ds,
    models,
    prompts: prompts as string[],
    sample,
    ...(top.device === undefined ? {} : { device: top.device as string }),
    ...(top.dtype === undefined ? {} : { dtype: top.dtype as ExperimentSpec["dtype"] }),
    ...(top.benchmark
      ? {
        benchmark: {
          test: (top.benchmark as BenchmarkSpec).test,
          limit: (top.benchmark as BenchmarkSpec).limit ?? null,
        },
      }
      : {}),
    evaluate: {
      symprec: (ev.symprec as number) ?? 0.1,
      novelty_against: (ev.novelty_against as string) ?? null,
    },
    snapshot: {
      metrics: (snap.metrics as string[]) ??
        ["validity", "hit_rate", "uniqueness", "formula_unique", "sg_unique"],
      macro: (snap.macro as string[]) ??
        ["validity_mean", "uniqueness_mean", "formula_unique_mean", "sg_unique_mean"],
    },
    profiles: (top.profiles as Record<string, Record<string, unknown>>) ?? {},
  };
}

/**
 * Load `experiments/<name>.yaml` (or a path), apply a profile and overrides.
 *
 * @param nameOrPath Experiment name or YAML path.
 * @param options `profile` (e.g. `ci`) and `sets` (`key=value` overrides, recorded by the runner).
 * @returns The experiment, the path read, and the raw object after overrides.
 * @throws {ExperimentError} For a missing file, unknown keys or bad overrides.
 */
export function loadExperiment(
  nameOrPath: string,
  options: { profile?: string; sets?: string[]; root?: string } = {},
): { spec: ExperimentSpec; file: string; resolved: Record<string, unknown> } {
  const root = options.root ?? ".";
  const file = /\.ya?ml$/.test(nameOrPath) ? nameOrPath : `${root}/experiments/${nameOrPath}.yaml`;
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch {
    throw new ExperimentError(
      `Cannot read experiment ${file}: no such file (experiments live in experiments/<name>.yaml)`,
    );
  }
  let raw: Record<string, unknown>;
  try {
    raw = (parseYaml(text) ?? {}) as Record<string, unknown>;
  } catch (e) {
    throw new ExperimentError(`${file}: invalid YAML: ${(e as Error).message}`);
  }
  const sets: string[] = [];
  if (options.profile) {
    const prof = (raw.profiles as Record<string, Record<string, unknown>> | undefined)?.[options.profile];
    if (!prof) throw new ExperimentError(`${file}: no profile "${options.profile}"`);
    for (const [k, v] of Object.entries(prof)) sets.push(`${k}=${JSON.stringify(v)}`);
  }
  sets.push(...(options.sets ?? []));
  applyOverrides(raw, sets, file);
  return { spec: resolveExperiment(raw, file), file, resolved: raw };
}

/** YAML text of a resolved experiment (written as `config.resolved.yaml`). */
export function experimentYaml(resolved: unknown): string {
  return stringifyYaml(resolved);
}

export { promptSlug, promptText } from "../sample/prompt.ts";

/** Whether a model's `checkpoint:` names an exported ONNX model rather than a checkpoint. */
export function isOnnxModel(path: string): boolean {
  return /\.onnx$/i.test(path);
}

// --- the YAML's sections as the library functions' options ------------------------------------

/**
 * `buildDataset()` options of a `dataset:` section with `sources`.
 *
 * @param ds The section.
 * @returns Split, seed, deduplication and symmetrize step (the library's defaults where unset).
 */
export function buildOptions(ds: DatasetSpec): BuildOptions {
  return {
    valFraction: ds.val_fraction,
    seed: ds.seed,
    dedupe: ds.dedupe,
    symmetrize: ds.symmetrize === false ? keepAsIs : undefined,
  };
}

/**
 * `subsetTokenized()` options of a `dataset.subset:` section (unset keys keep the library's defaults).
 *
 * @param sub The section.
 * @returns Counts, minimum length, seed, allow_fewer.
 */
export function subsetOptions(sub: SubsetSpec): SubsetOptions {
  const o: SubsetOptions = { nTrain: sub.n_train, nVal: sub.n_val };
  if (sub.min_len !== undefined) o.minLen = sub.min_len;
  if (sub.seed !== undefined) o.seed = sub.seed;
  if (sub.allow_fewer !== undefined) o.allowFewer = sub.allow_fewer;
  return o;
}

/** Paths the runner resolves for a model's training. */
export interface TrainPaths {
  /** The token folder. */
  dataset: string;
  /** The stage folder (`out_dir`). */
  outDir: string;
  /** The checkpoint `init_from` resolved to, when it names a model or a path. */
  initPath: string | null;
}

/**
 * The `train.py` values of a model: its `train:` section with the resolved dataset, output
 * folder and starting checkpoint, and the experiment's device/dtype unless the model sets its own.
 *
 * @param spec The experiment.
 * @param name The model.
 * @param paths Resolved paths.
 * @returns Values for `resolveTrainConfig()`.
 */
export function trainValues(spec: ExperimentSpec, name: string, paths: TrainPaths): Partial<TrainConfig> {
  const cfg: Partial<TrainConfig> = { ...spec.models[name].train };
  if (paths.initPath) cfg.init_from = paths.initPath;
  cfg.dataset = paths.dataset;
  cfg.out_dir = paths.outDir;
  // the experiment's device/dtype (`--set device=cuda`) unless the model sets its own
  if (spec.device !== undefined && cfg.device === undefined) cfg.device = spec.device;
  if (spec.dtype !== undefined && cfg.dtype === undefined) cfg.dtype = spec.dtype;
  return cfg;
}

/**
 * What a train stage's fingerprint covers of its settings: the values without the paths (the
 * dataset and starting checkpoint are inputs, hashed by content), `init_from` as the YAML says it.
 */
export function trainParams(
  spec: ExperimentSpec,
  name: string,
  values: Partial<TrainConfig>,
): Record<string, unknown> {
  return { ...values, out_dir: undefined, dataset: undefined, init_from: spec.models[name].train?.init_from };
}

/**
 * The sampling options of one prompt at one temperature, as both engines take them.
 *
 * @param spec The experiment.
 * @param prompt The prompt as the YAML writes it.
 * @param temperature The temperature.
 * @param out The sample folder.
 * @returns Options for `generate()` (add `ckpt`, device, dtype) or `generateOnnx()` (add `model`).
 */
export function samplingSettings(
  spec: ExperimentSpec,
  prompt: string,
  temperature: number,
  out: string,
): Omit<GenerateOptions, "ckpt" | "device" | "dtype"> {
  const s = spec.sample;
  return {
    prompt: promptText(prompt),
    out,
    num_samples: s.n,
    max_new_tokens: s.max_new_tokens,
    temperature,
    top_k: s.top_k,
    seed: s.seed,
    batch: s.batch,
  };
}
