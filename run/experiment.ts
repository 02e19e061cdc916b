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

/** Where a model's weights come from. */
export interface ModelSpec {
  /** Use this checkpoint (file or run directory) as it is. */
  checkpoint?: string;
  /**
   * Train it: upstream `train.py` keys (`init_from`, `max_iters`, `learning_rate`, …).
   * `init_from` may name another model of the experiment, a checkpoint path, or `scratch`.
   * `dataset` defaults to the experiment's dataset stage.
   */
  train?: Record<string, unknown>;
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
  subset?: {
    in: string;
    n_train: number;
    n_val: number;
    min_len?: number;
    seed?: number;
    allow_fewer?: boolean;
  };
  val_fraction?: number;
  seed?: number;
  dedupe?: boolean;
  /** Set false when sources are already CifWriter(symprec=0.1) output. */
  symmetrize?: boolean;
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

/** Thrown for a malformed experiment file; names the file and the key. */
export class ExperimentError extends Error {
  override name = "ExperimentError";
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
];
const DATASET_KEYS = ["sources", "tokens", "subset", "val_fraction", "seed", "dedupe", "symmetrize"];
const SAMPLE_KEYS = Object.keys(SAMPLE_DEFAULTS).concat(["temperatures", "dtype"]);
const DEVICE_RE = /^(cpu|cuda(:\d+)?)$/;
const DTYPES = ["float32", "bfloat16", "float16"];
const MODEL_KEYS = ["checkpoint", "train", "engine"];

function checkKeys(obj: unknown, allowed: string[], where: string, file: string): Record<string, unknown> {
  if (obj === null || obj === undefined) return {};
  if (typeof obj !== "object" || Array.isArray(obj)) {
    throw new ExperimentError(`${file}: ${where} must be a mapping`);
  }
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) {
      throw new ExperimentError(
        `${file}: unknown key "${where ? where + "." : ""}${k}" (allowed: ${allowed.join(", ")})`,
      );
    }
  }
  return obj as Record<string, unknown>;
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
 * @throws {ExperimentError} On a malformed override.
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

/**
 * Validate and default an experiment object.
 *
 * @param raw Parsed YAML.
 * @param file The file it came from (for messages and the default name).
 * @returns The experiment with defaults filled in.
 * @throws {ExperimentError} On unknown keys or missing sections.
 */
export function resolveExperiment(raw: Record<string, unknown>, file: string): ExperimentSpec {
  const top = checkKeys(raw, TOP_KEYS, "", file);
  const ds = top.dataset ? checkKeys(top.dataset, DATASET_KEYS, "dataset", file) as DatasetSpec : null;
  if (ds && [ds.sources, ds.tokens, ds.subset].filter(Boolean).length !== 1) {
    throw new ExperimentError(`${file}: dataset needs exactly one of sources, tokens, subset`);
  }
  const modelsRaw = checkKeys(top.models, Object.keys((top.models as object) ?? {}), "models", file);
  const models: Record<string, ModelSpec> = {};
  for (const [name, m] of Object.entries(modelsRaw)) {
    const spec = checkKeys(m, MODEL_KEYS, `models.${name}`, file) as ModelSpec;
    if (!spec.checkpoint === !spec.train) {
      throw new ExperimentError(`${file}: models.${name} needs exactly one of checkpoint, train`);
    }
    if (spec.engine !== undefined && spec.engine !== "libtorch" && spec.engine !== "onnx") {
      throw new ExperimentError(`${file}: models.${name}.engine must be libtorch or onnx, got ${JSON.stringify(spec.engine)}`);
    }
    models[name] = spec;
  }
  if (Object.keys(models).length === 0) throw new ExperimentError(`${file}: models is empty`);
  const prompts = top.prompts as unknown;
  if (!Array.isArray(prompts) || prompts.length === 0 || !prompts.every((p) => typeof p === "string")) {
    throw new ExperimentError(`${file}: prompts must be a non-empty list of strings`);
  }
  const sampleRaw = checkKeys(top.sample, SAMPLE_KEYS, "sample", file);
  if (top.device !== undefined && (typeof top.device !== "string" || !DEVICE_RE.test(top.device))) {
    throw new ExperimentError(`${file}: device must be cpu, cuda or cuda:N, got ${JSON.stringify(top.device)}`);
  }
  if (top.dtype !== undefined && !DTYPES.includes(top.dtype as string)) {
    throw new ExperimentError(`${file}: dtype must be one of ${DTYPES.join(", ")}, got ${JSON.stringify(top.dtype)}`);
  }
  const sample = {
    ...SAMPLE_DEFAULTS,
    ...(top.device === undefined ? {} : { device: top.device }),
    ...(top.dtype === undefined ? {} : { dtype: top.dtype }),
    ...sampleRaw,
  } as SampleSpec;
  const ev = checkKeys(top.evaluate, ["symprec", "novelty_against"], "evaluate", file);
  const snap = checkKeys(top.snapshot, ["metrics", "macro"], "snapshot", file);
  return {
    experiment: (top.experiment as string) ?? basename(file).replace(/\.ya?ml$/, ""),
    description: (top.description as string) ?? "",
    dataset: ds,
    models,
    prompts: prompts as string[],
    sample,
    ...(top.device === undefined ? {} : { device: top.device as string }),
    ...(top.dtype === undefined ? {} : { dtype: top.dtype as ExperimentSpec["dtype"] }),
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

export { promptSlug, promptText } from "../generate/prompt.ts";
