/**
 * The experiment runner: an experiment YAML becomes stages
 * (dataset → train → sample → postprocess → evaluate → summarize), each
 * fingerprinted and skipped when unchanged, each writing its outputs and a
 * `manifest.json` under `out/<experiment>/…`.
 *
 * Layout of a run:
 * ```
 * out/<experiment>/config.resolved.yaml   defaults + profile + --set overrides
 * out/<experiment>/run.json               overrides, stage list, timings, versions
 * out/<experiment>/dataset/               train.bin, val.bin, meta.pkl, manifest.json
 * out/<experiment>/train/<model>/         ckpt.pt, train_log.csv, manifest.json
 * out/<experiment>/sample/<model>/<prompt>/t<T>/{raw,processed,eval}/
 * out/<experiment>/csp/<model>/{raw,processed,metrics}/   a CSP benchmark's generations and scores
 * out/<experiment>/summary.{csv,md}, summary_macro.csv, summary_csp.csv (a CSP benchmark), metrics.json, report.html
 * ```
 *
 * @module
 */
import { basename, isAbsolute, join, resolve } from "node:path";
import { existsSync } from "node:fs";
import { parse as parseCsv } from "csv-parse/sync";
import {
  buildOptions,
  experimentProblems,
  type ExperimentSpec,
  experimentYaml,
  isOnnxModel,
  promptSlug,
  promptText,
  samplingSettings,
  subsetOptions,
  trainParams,
  trainValues,
} from "./experiment.ts";
import { hashFile } from "../core/hash.ts";
import { assertInside, ContainmentError, isInside, realPathOf } from "./paths.ts";
import { acquireRunLock } from "./lock.ts";
import { readCheckpoint } from "../checkpoint/mod.ts";
import { writeFileAtomic } from "../checkpoint/write_checkpoint.ts";
import { REPO_ROOT, sharedDir } from "../core/paths.ts";
import {
  harnessCommit,
  runStage,
  type StageManifest,
  type StageOptions,
  type StageResult,
  type StageSpec,
} from "./stage.ts";
import { buildDataset } from "../data/build.ts";
import { subsetTokenized } from "../data/subset.ts";
import { resolveTrainConfig, TRAIN_DEFAULTS } from "../train/config.ts";
import { train } from "../train/train.ts";
import { generate } from "../sample/generate.ts";
import { postprocessDir } from "../postprocess/postprocess_dir.ts";
import { type EvalMetrics, evaluate, metricsPathFor, rowsToCsv } from "../evaluate/evaluate.ts";
import { loadTrainingSet, type TrainingSet } from "../evaluate/novelty.ts";
import {
  type EvalRecord,
  macroCsv,
  summarize,
  type Summary,
  summaryCsv,
  type SummaryInput,
  summaryMarkdown,
} from "../summarize/summarize.ts";
import { renderReport } from "../summarize/report.ts";
import { cspCsv, cspRows } from "../summarize/csp.ts";
import { Composition } from "../cif/composition.ts";
import { matcherPredicate } from "../match/structure_matcher.ts";

/** Options of {@link runExperiment}. */
export interface RunOptions extends StageOptions {
  /** Output root. @default {"out"} */
  outRoot?: string;
  /** The overrides given on the command line (recorded in run.json). */
  sets?: string[];
  /** The profile used (recorded). */
  profile?: string;
  /** The raw experiment after overrides (written as config.resolved.yaml). */
  resolved?: Record<string, unknown>;
  /** The experiment file, for messages. */
  file?: string;
  /** Stop once the models are trained and exported (a sweep runs this, then its shards sample). */
  untilModels?: boolean;
  /**
   * Fill a sample cell's stage folder from elsewhere instead of sampling (a sweep's merge copies
   * its shards' files); returns the outputs the stage records. The stage's fingerprint is unchanged.
   */
  sampleCell?: (cell: SampleCell) => Promise<Record<string, unknown>>;
  /** The same for a CSP benchmark's generations of one model (`csp/<model>/raw`). */
  benchmarkRaw?: (model: string, out: string) => Promise<Record<string, unknown>>;
}

/** One model × prompt × temperature of a run, as {@link RunOptions.sampleCell} gets it. */
export interface SampleCell {
  model: string;
  prompt: string;
  temperature: number;
  /** The empty stage folder to fill (`sample/<model>/<prompt>/t<T>/raw`). */
  out: string;
  checkpoint: { path: string; sha256: string };
}

/** What a finished run returns. */
export interface RunResult {
  dir: string;
  summary: Summary;
  /** Flat metric map (what snapshots and `crystallm diff` compare). */
  metrics: Record<string, number | null>;
  /** Checkpoint path and sha256 per model. */
  checkpoints: Record<string, { path: string; sha256: string }>;
  seconds: number;
}

/** Thrown when a run's invariants break (stale checkpoint, wrong checkpoint evaluated …). */
export class RunError extends Error {
  override name = "RunError";
}

/**
 * Resolve an experiment path: `shared:<rel>` is under the shared data folder
 * (`CRYSTALLM_SHARED`, else `../shared` beside the checkout); `run:<experiment>/<rel>` is an
 * output of another experiment under the same output root (`run:demo5/train/nacl_ft/ckpt.pt`);
 * other relative paths are relative to the repository root.
 *
 * @param p The path as written in the YAML.
 * @param outRoot The output root for `run:` paths (default `out` in the repository).
 * @returns An absolute path.
 * @throws {RunError} When a `shared:` or `run:` path is missing, saying what to do.
 * @throws {ContainmentError} When a `run:` path leaves the output root (`..`, a link).
 */
export function repoPath(p: string, outRoot?: string): string {
  if (p.startsWith("run:")) {
    const rel = p.slice("run:".length);
    const root = outRoot ?? resolve(REPO_ROOT, "out");
    const full = join(root, rel);
    if (isAbsolute(rel) || !isInside(root, full)) {
      throw new ContainmentError(
        `Refusing ${p}: run: paths name an output of another experiment inside the output root ${
          resolve(root)
        }, ` +
          `and this one resolves to ${realPathOf(full)}`,
      );
    }
    try {
      Deno.statSync(full);
    } catch {
      const exp = rel.split("/")[0];
      throw new RunError(
        `Cannot find ${full}: it is an output of the ${exp} experiment; run it first with the same --out ` +
          `(deno task crystallm run ${exp})`,
      );
    }
    return full;
  }
  if (p.startsWith("shared:")) {
    const full = join(sharedDir(), p.slice("shared:".length));
    try {
      Deno.statSync(full);
    } catch {
      throw new RunError(
        `Cannot find ${full}: put the shared/ data folder beside the checkout or set CRYSTALLM_SHARED`,
      );
    }
    return full;
  }
  return isAbsolute(p) ? p : resolve(REPO_ROOT, p);
}

/** `ckpt.pt` inside a run directory, or the file itself. */
export function checkpointFile(p: string, outRoot?: string): string {
  const abs = repoPath(p, outRoot);
  try {
    if (Deno.statSync(abs).isDirectory) return join(abs, "ckpt.pt");
  } catch {
    throw new RunError(`Cannot find checkpoint ${abs}: no such file or directory`);
  }
  return abs;
}

/** Models in an order where every `init_from` model comes before its users. */
function modelOrder(spec: ExperimentSpec): string[] {
  const names = Object.keys(spec.models);
  const done: string[] = [];
  const visit = (n: string, path: string[]) => {
    if (done.includes(n)) return;
    if (path.includes(n)) throw new RunError(`models: init_from cycle ${[...path, n].join(" → ")}`);
    const from = spec.models[n].train?.init_from;
    if (typeof from === "string" && names.includes(from)) visit(from, [...path, n]);
    done.push(n);
  };
  for (const n of names) visit(n, []);
  return done;
}

/** The composition a prompt names (`data_Na2Cl2\n` → `Na2Cl2`), or null. */
export function promptComposition(prompt: string): string | null {
  return /^data_([A-Za-z0-9().]+)/.exec(promptText(prompt))?.[1] ?? null;
}

/** The reduced formula a prompt asks for (`data_Na2Cl2` → `NaCl`), or null. */
export function promptFormula(prompt: string): string | null {
  const comp = promptComposition(prompt);
  if (!comp) return null;
  try {
    return Composition.parse(comp).reducedFormula;
  } catch {
    return null;
  }
}

function readEvalCsv(path: string): EvalRecord[] {
  const rows = parseCsv(Deno.readTextFileSync(path), { columns: true }) as Record<string, string>[];
  return rows.map((r) => ({
    file: r.file,
    parse_ok: r.parse_ok === "true",
    reduced_formula: r.reduced_formula || null,
    sg_number: r.sg_number ? Number(r.sg_number) : null,
    sg_symbol: r.sg_symbol || null,
    is_valid: r.is_valid === "true",
  }));
}

/**
 * Flatten a summary into `model/prompt[/tT]/metric` and `model[/tT]/macro/metric` keys.
 *
 * @param summary The summary.
 * @param spec Which metrics to keep.
 * @returns Metric name → value.
 */
export function flattenMetrics(
  summary: Summary,
  spec: ExperimentSpec["snapshot"],
): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  const t = (x: number | null) => (x === null ? "" : `/t${x}`);
  // a metric is a column of summary.csv: a number, or null where it is undefined
  const value = (row: object, m: string): number | null => {
    const v: unknown = Reflect.get(row, m);
    return typeof v === "number" ? v : null;
  };
  for (const r of summary.rows) {
    for (const m of spec.metrics) {
      out[`${r.model}/${promptSlug(r.prompt)}${t(r.temperature)}/${m}`] = value(r, m);
    }
  }
  for (const r of summary.macro) {
    for (const m of spec.macro) out[`${r.model}${t(r.temperature)}/macro/${m}`] = value(r, m);
  }
  return out;
}

/**
 * A file a stage recorded by absolute path, found again after its run folder moved (copied to
 * another machine, or shipped in an offline bundle): the file of that name in the stage folder.
 */
function movedPath(recorded: string, stageDir: string): string {
  if (existsSync(recorded)) return recorded;
  const here = join(stageDir, basename(recorded));
  return existsSync(here) ? here : recorded;
}

/**
 * Run an experiment end to end.
 *
 * @param spec The experiment (see {@link loadExperiment}).
 * @param options Output root, force, overrides to record.
 * @returns Summary, metrics and checkpoint hashes.
 * @throws {RunError} When a checkpoint is stale or a stage's invariant breaks.
 */
export async function runExperiment(spec: ExperimentSpec, options: RunOptions = {}): Promise<RunResult> {
  const t0 = performance.now();
  const { log, root, dir } = await prepareRun(spec, options);
  using _lock = acquireRunLock(dir, { log });
  // the run's own files describe one finished run: an interrupted rerun leaves none of them
  for (const f of RUN_FILES) await Deno.remove(join(dir, f)).catch(() => {});
  return await runLocked(spec, options, { t0, log, root, dir });
}

/**
 * The run's log, output root and folder, once every input is checked before any stage runs
 * (every problem listed at once).
 */
async function prepareRun(
  spec: ExperimentSpec,
  options: { log?: (l: string) => void; outRoot?: string; file?: string },
): Promise<{ log: (l: string) => void; root: string; dir: string }> {
  const log = options.log ?? ((l: string) => console.error(l));
  const root = repoPath(options.outRoot ?? "out");
  const dir = assertInside(root, join(root, spec.experiment), "the run directory");
  const problems = await inputProblems(spec, root);
  if (problems.length) throw experimentProblems(options.file ?? `experiment ${spec.experiment}`, problems);
  return { log, root, dir };
}

/** Files a finished run writes at its end, together; none of them exists while it runs. */
const RUN_FILES = [
  "metrics.json",
  "run.json",
  "config.resolved.yaml",
  "summary.csv",
  "summary_macro.csv",
  "summary_csp.csv",
  "summary.md",
  "report.html",
];

/**
 * Problems of an experiment's inputs on disk: paths that do not resolve, checkpoints that
 * cannot be read, a `block_size` beyond the checkpoint's.
 *
 * @param spec The experiment.
 * @param root The output root (for `run:` paths).
 * @returns One line per problem.
 */
export async function inputProblems(spec: ExperimentSpec, root: string): Promise<string[]> {
  const problems: string[] = [];
  const path = (key: string, p: string): string | null => {
    try {
      return repoPath(p, root);
    } catch (e) {
      problems.push(`${key}: ${(e as Error).message}`);
      return null;
    }
  };
  const exists = (key: string, p: string | null) => {
    if (p === null) return;
    try {
      Deno.statSync(p);
    } catch {
      problems.push(`${key}: ${p} does not exist`);
    }
  };
  const ds = spec.dataset;
  if (ds?.sources) {
    ds.sources.forEach((x, i) => exists(`dataset.sources[${i}]`, path(`dataset.sources[${i}]`, x)));
  }
  if (ds?.tokens) exists("dataset.tokens", path("dataset.tokens", ds.tokens));
  if (spec.benchmark) exists("benchmark.test", path("benchmark.test", spec.benchmark.test));
  if (ds?.subset) exists("dataset.subset.in", path("dataset.subset.in", ds.subset.in));
  if (spec.evaluate.novelty_against) {
    exists("evaluate.novelty_against", path("evaluate.novelty_against", spec.evaluate.novelty_against));
  }
  // the block size each model ends up with, for models that finetune another
  const blockSize = new Map<string, number>();
  const ckptBlock = async (key: string, p: string): Promise<number | null> => {
    let file: string;
    try {
      file = checkpointFile(p, root);
    } catch (e) {
      problems.push(`${key}: ${(e as Error).message}`);
      return null;
    }
    try {
      if (isOnnxModel(file)) {
        const { readOnnxModelInfo } = await import("../onnx/session.ts");
        return (await readOnnxModelInfo(file)).model_args.block_size;
      }
      return (await readCheckpoint(file)).model_args.block_size;
    } catch (e) {
      problems.push(`${key}: ${(e as Error).message} (${file})`);
      return null;
    }
  };
  let order: string[];
  try {
    order = modelOrder(spec);
  } catch (e) {
    return [...problems, (e as Error).message];
  }
  for (const name of order) {
    const m = spec.models[name];
    if (m.checkpoint) {
      const b = await ckptBlock(`models.${name}.checkpoint`, m.checkpoint);
      if (b !== null) blockSize.set(name, b);
      continue;
    }
    const cfg = m.train!;
    // train's default block_size (upstream's 2048) applies when the YAML sets none
    const want = typeof cfg.block_size === "number" ? cfg.block_size : TRAIN_DEFAULTS.block_size;
    if (cfg.dataset !== undefined) {
      exists(`models.${name}.train.dataset`, path(`models.${name}.train.dataset`, String(cfg.dataset)));
    } else if (!spec.dataset) {
      problems.push(`models.${name}.train needs a dataset (the experiment has no dataset stage)`);
    }
    const from = cfg.init_from;
    let have: number | null = null;
    if (typeof from === "string" && from !== "scratch" && from !== "resume") {
      have = spec.models[from]
        ? blockSize.get(from) ?? null
        : await ckptBlock(`models.${name}.train.init_from`, from);
      if (have !== null && want > have) {
        problems.push(
          `models.${name}.train.block_size ${want} is larger than the block_size ${have} of its init_from ${from}; ` +
            `set block_size <= ${have}`,
        );
      }
    }
    blockSize.set(name, want);
  }
  return problems;
}

/** What every step of a run shares: the experiment, its folders, the stage options, the stage log. */
interface Run {
  spec: ExperimentSpec;
  /** The output root (for `run:` paths and containment). */
  root: string;
  /** The experiment's folder under the root. */
  dir: string;
  log: (line: string) => void;
  stageOpts: StageOptions;
  /** One entry per stage, in order (recorded in run.json). */
  stages: { stage: string; skipped: boolean; seconds: number }[];
  /** The training set for novelty, read once per run (not once per evaluated folder) when needed. */
  noveltySet?: TrainingSet;
  /** A sweep's merge: fill sample stages from its shards (see {@link RunOptions.sampleCell}). */
  sampleCell?: RunOptions["sampleCell"];
}

/** One sampled cell: a model, a prompt, a temperature, and its folder. */
interface Cell {
  model: string;
  prompt: string;
  temperature: number;
  /** `sample/<model>/<prompt>/t<T>`, holding raw/, processed/ and eval/. */
  base: string;
  /** `<model>/<prompt>/t<T>`, the stage names' suffix. */
  name: string;
}

/**
 * The entry modules of each stage: the library modules its body calls. A stage's fingerprint
 * covers their module graph (run/code_graph.ts), so editing any module they import reruns it.
 */
export const STAGE_CODE = {
  /** `buildDataset()`, its symmetrize workers (started by URL, not imported) and `keepAsIs`. */
  build: ["data/build.ts", "data/_symmetrize_worker.ts", "data/symmetrize_step.ts"],
  subset: ["data/subset.ts"],
  train: ["train/train.ts", "train/config.ts"],
  export: ["export/onnx_export.ts"],
  sample: ["sample/generate.ts"],
  sampleOnnx: ["sample/onnx_engine.ts"],
  postprocess: ["postprocess/postprocess_dir.ts"],
  evaluate: [
    "evaluate/evaluate.ts",
    "evaluate/novelty.ts",
    "match/structure_matcher.ts",
    "cif/composition.ts",
  ],
} as const satisfies Record<string, readonly string[]>;

async function runLocked(
  spec: ExperimentSpec,
  options: RunOptions,
  ctx: { t0: number; log: (l: string) => void; root: string; dir: string },
): Promise<RunResult> {
  const { t0, log, root, dir } = ctx;
  const run: Run = {
    spec,
    root,
    dir,
    log,
    stageOpts: { force: options.force, log, root },
    stages: [],
    sampleCell: options.sampleCell,
  };
  const tokens = await datasetStep(run);
  const checkpoints = await trainStep(run, tokens);
  const onnxModels = await exportStep(run, checkpoints);
  if (options.untilModels) {
    return { dir, summary: summarize([]), metrics: {}, checkpoints, seconds: (performance.now() - t0) / 1000 };
  }
  const benchmarkMetrics = await benchmarkStep(run, checkpoints, options.benchmarkRaw);
  const evaluated: SummaryInput[] = [];
  for (const cell of sampleCells(run)) {
    const ck = checkpoints[cell.model];
    await sampleStep(run, cell, ck, onnxModels[cell.model]);
    await postprocessStep(run, cell);
    evaluated.push(await evaluateStep(run, cell, ck));
  }
  return await summarizeStep(run, evaluated, checkpoints, options, t0, benchmarkMetrics);
}

/** The CSP benchmark (csp/), when the experiment has one: generations per test composition, match rate. */
async function benchmarkStep(
  run: Run,
  checkpoints: RunResult["checkpoints"],
  fillRaw: RunOptions["benchmarkRaw"],
): Promise<Record<string, number | null>> {
  const { spec } = run;
  const metrics: Record<string, number | null> = {};
  if (!spec.benchmark) return metrics;
  const { runBenchmarkStages } = await import("./benchmark.ts");
  const testCsv = repoPath(spec.benchmark.test, run.root);
  for (const model of Object.keys(spec.models)) {
    Object.assign(
      metrics,
      await runBenchmarkStages(spec as ExperimentSpec & { benchmark: NonNullable<ExperimentSpec["benchmark"]> }, {
        dir: run.dir,
        model,
        checkpoint: checkpoints[model],
        testCsv,
        stageOpts: run.stageOpts,
        note: (m) => run.stages.push({ stage: m.manifest.stage, skipped: m.skipped, seconds: m.manifest.seconds }),
        fillRaw,
      }),
    );
  }
  return metrics;
}

/**
 * Only the dataset and training stages of an experiment (what `bundle create --engine onnx`
 * runs to carry trained models): the checkpoint of every model, trained or used as is.
 *
 * @param spec The experiment.
 * @param options Output root, force, log.
 * @returns Checkpoint path and sha256 per model.
 * @throws {RunError} When an input is missing or a stage's invariant breaks.
 */
export async function trainModels(
  spec: ExperimentSpec,
  options: StageOptions & { outRoot?: string; file?: string } = {},
): Promise<RunResult["checkpoints"]> {
  const { log, root, dir } = await prepareRun(spec, options);
  using _lock = acquireRunLock(dir, { log });
  const run: Run = { spec, root, dir, log, stageOpts: { force: options.force, log, root }, stages: [] };
  return await trainStep(run, await datasetStep(run));
}

/** Run a stage and note it in the run's stage list. */
async function stage(
  run: Run,
  name: string,
  dir: string,
  spec: StageSpec,
  body: (dir: string) => Promise<StageResult> | StageResult,
): Promise<StageManifest> {
  const r = await runStage(name, dir, spec, body, run.stageOpts);
  run.stages.push({ stage: r.manifest.stage, skipped: r.skipped, seconds: r.manifest.seconds });
  return r.manifest;
}

/**
 * The dataset step: build a token folder from CIF sources, or take whole CIFs of another
 * (`subset`), or use one as it is (`tokens`).
 *
 * @returns The token folder, or null when the experiment has no dataset section.
 */
async function datasetStep(run: Run): Promise<string | null> {
  const ds = run.spec.dataset;
  if (!ds) return null;
  if (ds.tokens) return repoPath(ds.tokens, run.root);
  const dsDir = join(run.dir, "dataset");
  const inputs: Record<string, string> = {};
  if (ds.sources) ds.sources.forEach((s, i) => (inputs[`source${i}`] = repoPath(s, run.root)));
  if (ds.subset) inputs.subset_in = repoPath(ds.subset.in, run.root);
  const sub = ds.subset;
  const code = sub ? STAGE_CODE.subset : STAGE_CODE.build;
  await stage(run, "dataset", dsDir, { params: ds, inputs, code: [...code] }, async (out) => {
    if (sub) {
      const m = await subsetTokenized(repoPath(sub.in, run.root), out, subsetOptions(sub));
      return { outputs: { subset: { train: m.train, val: m.val } }, report: m };
    }
    const sources = ds.sources!.map((x) => repoPath(x, run.root));
    const m = await buildDataset(sources, out, { ...buildOptions(ds), progress: Deno.stderr.isTerminal() });
    return { outputs: { counts: m.counts }, report: m };
  });
  return dsDir;
}

/** The train step: every model, those that others finetune first; a model used as is is hashed. */
async function trainStep(run: Run, tokens: string | null): Promise<RunResult["checkpoints"]> {
  const checkpoints: RunResult["checkpoints"] = {};
  for (const name of modelOrder(run.spec)) {
    const m = run.spec.models[name];
    if (m.checkpoint) {
      const path = checkpointFile(m.checkpoint, run.root);
      if (isOnnxModel(path)) {
        // an exported model (an offline ONNX bundle's): sampled as it is; the checkpoint it was
        // exported from, as its metadata records it, identifies the model for the later stages
        const { readOnnxModelInfo } = await import("../onnx/session.ts");
        checkpoints[name] = { path, sha256: (await readOnnxModelInfo(path)).checkpoint_sha256 };
      } else checkpoints[name] = { path, sha256: await hashFile(path) };
    } else checkpoints[name] = await trainModel(run, name, tokens, checkpoints);
  }
  return checkpoints;
}

/** Train one model, then check that its checkpoint is the one it recorded and not the initial one. */
async function trainModel(
  run: Run,
  name: string,
  tokens: string | null,
  trained: RunResult["checkpoints"],
): Promise<{ path: string; sha256: string }> {
  const cfg = run.spec.models[name].train!;
  const from = cfg.init_from;
  const initPath = from && from !== "scratch" && from !== "resume"
    ? trained[from]?.path ?? checkpointFile(from, run.root)
    : null;
  let dataset: string;
  if (cfg.dataset) dataset = repoPath(cfg.dataset, run.root);
  else if (tokens) dataset = tokens;
  else throw new RunError(`models.${name}.train needs a dataset (the experiment has no dataset stage)`);
  const trainDir = join(run.dir, "train", name);
  const values = trainValues(run.spec, name, { dataset, outDir: trainDir, initPath });
  const inputs: Record<string, string> = {
    train_bin: join(dataset, "train.bin"),
    val_bin: join(dataset, "val.bin"),
  };
  if (initPath) inputs.init_checkpoint = initPath;
  const params = trainParams(run.spec, name, values);
  const manifest = await stage(run, `train/${name}`, trainDir, {
    params,
    inputs,
    code: [...STAGE_CODE.train],
  }, async () => {
    const r = await train(resolveTrainConfig(values), { progress: Deno.stderr.isTerminal(), log: run.log });
    if (!r.checkpoint) {
      throw new RunError(
        `train/${name} saved no checkpoint: set always_save_checkpoint: true (the seed's stale-checkpoint pitfall)`,
      );
    }
    const { checkpoint, iter_num, best_val_loss, tokens_per_s, mode } = r;
    return {
      outputs: { checkpoint, iter_num, best_val_loss, tokens_per_s, mode, device: r.device_info },
      report: r.manifest,
    };
  });
  const recorded = manifest.outputs.checkpoint as { path: string; sha256: string; iter_num: number };
  const ck = { ...recorded, path: movedPath(recorded.path, trainDir) };
  // the seed's pitfall: evaluation silently used the old pretrained checkpoint
  const onDisk = await hashFile(ck.path);
  if (onDisk !== ck.sha256) {
    throw new RunError(
      `train/${name}: ${ck.path} changed after training (sha256 ${onDisk.slice(0, 12)} ≠ recorded ${
        ck.sha256.slice(0, 12)
      })`,
    );
  }
  if (initPath && (await hashFile(initPath)) === ck.sha256) {
    throw new RunError(
      `train/${name}: the saved checkpoint is the initial one (stale checkpoint): training did not save`,
    );
  }
  return { path: ck.path, sha256: ck.sha256 };
}

/** The export step: an ONNX file for each model sampled with `engine: onnx`. */
async function exportStep(run: Run, checkpoints: RunResult["checkpoints"]): Promise<Record<string, string>> {
  const onnxModels: Record<string, string> = {};
  for (const model of Object.keys(run.spec.models)) {
    if (run.spec.models[model].engine !== "onnx") continue;
    const ck = checkpoints[model];
    // an exported model given as the checkpoint is sampled as it is: nothing to export
    if (isOnnxModel(ck.path)) {
      onnxModels[model] = ck.path;
      continue;
    }
    const exportDir = join(run.dir, "export", model);
    await stage(run, `export/${model}`, exportDir, {
      params: { format: "onnx", opset: 17 },
      inputs: { checkpoint: ck.path },
      code: [...STAGE_CODE.export],
    }, async (out) => {
      const { exportOnnx } = await import("../export/onnx_export.ts");
      const r = await exportOnnx({ ckpt: ck.path, out: join(out, "model.onnx") });
      return { outputs: { model: r.out, sha256: r.sha256, checkpoint_sha256: r.checkpoint_sha256 } };
    });
    onnxModels[model] = join(exportDir, "model.onnx");
  }
  return onnxModels;
}

/** Every model × prompt × temperature the experiment samples. */
function sampleCells(run: Run): Cell[] {
  const cells: Cell[] = [];
  for (const model of Object.keys(run.spec.models)) {
    for (const prompt of run.spec.prompts) {
      for (const temp of run.spec.sample.temperatures ?? [null]) {
        const temperature = temp ?? run.spec.sample.temperature;
        const name = `${model}/${promptSlug(prompt)}/t${temperature}`;
        cells.push({ model, prompt, temperature, name, base: join(run.dir, "sample", name) });
      }
    }
  }
  return cells;
}

/**
 * The sample step of one cell (libtorch, or onnxruntime for `engine: onnx`); then checks that
 * the samples come from the model's checkpoint.
 */
async function sampleStep(
  run: Run,
  cell: Cell,
  ck: { path: string; sha256: string },
  onnx: string | undefined,
): Promise<void> {
  const { spec } = run;
  const params = {
    ...spec.sample,
    temperatures: undefined,
    temperature: cell.temperature,
    prompt: promptText(cell.prompt),
    ...(onnx ? { engine: "onnx", device: "cpu", dtype: undefined } : {}),
  };
  const rawDir = join(cell.base, "raw");
  const manifest = await stage(run, `sample/${cell.name}`, rawDir, {
    params,
    inputs: onnx === ck.path ? { model: onnx } : { checkpoint: ck.path, ...(onnx ? { model: onnx } : {}) },
    code: [...(onnx ? STAGE_CODE.sampleOnnx : STAGE_CODE.sample)],
  }, async (out) => {
    if (run.sampleCell) {
      const cellInfo = { model: cell.model, prompt: cell.prompt, temperature: cell.temperature, out, checkpoint: ck };
      return { outputs: await run.sampleCell(cellInfo) };
    }
    // what both engines take: the experiment's sampling settings at this temperature
    const sampling = samplingSettings(spec, cell.prompt, cell.temperature, out);
    if (onnx) {
      const { generateOnnx } = await import("../sample/onnx_engine.ts");
      const r = await generateOnnx({ ...sampling, model: onnx });
      // the checkpoint the exported graph was made from, as its metadata records it
      const outputs = {
        files: r.files.length,
        tokens_per_s: r.tokens_per_s,
        checkpoint_sha256: r.manifest.checkpoint.sha256,
      };
      return { outputs: { ...outputs, engine: "onnx", device: r.device_info }, report: r.manifest };
    }
    const r = await generate({
      ...sampling,
      ckpt: ck.path,
      device: spec.sample.device,
      ...(spec.sample.dtype ? { dtype: spec.sample.dtype } : {}),
    });
    const outputs = { files: r.files.length, tokens_per_s: r.tokens_per_s, checkpoint_sha256: ck.sha256 };
    return { outputs: { ...outputs, device: r.device_info }, report: r.manifest };
  });
  // an evaluation refuses samples from a checkpoint other than the one training recorded
  const usedSha = manifest.outputs.checkpoint_sha256;
  if (usedSha !== ck.sha256) {
    throw new RunError(
      `sample/${cell.model}: samples come from checkpoint ${
        String(usedSha).slice(0, 12)
      }, but the model's checkpoint is ${ck.sha256.slice(0, 12)}; rerun with --force`,
    );
  }
}

/** The postprocess step of one cell: upstream's postprocess.py over the raw samples. */
async function postprocessStep(run: Run, cell: Cell): Promise<void> {
  const raw = join(cell.base, "raw");
  await stage(run, `postprocess/${cell.name}`, join(cell.base, "processed"), {
    params: {},
    inputs: { raw },
    code: [...STAGE_CODE.postprocess],
  }, (out) => {
    const r = postprocessDir(raw, out, { onFailure: () => {} });
    return { outputs: { n_files: r.n_files, n_failures: r.n_failures }, report: r.manifest };
  });
}

/** The evaluate step of one cell: eval.csv and its metrics, and what the summary needs of them. */
async function evaluateStep(run: Run, cell: Cell, ck: { sha256: string }): Promise<SummaryInput> {
  const { spec } = run;
  const evalDir = join(cell.base, "eval");
  const processed = join(cell.base, "processed"), raw = join(cell.base, "raw");
  // novelty against a training set (token folder, CIF folder, .tar.gz or CSV), when the YAML names one
  const noveltyTrain = spec.evaluate.novelty_against
    ? repoPath(spec.evaluate.novelty_against, run.root)
    : undefined;
  const manifest = await stage(run, `evaluate/${cell.name}`, evalDir, {
    params: { ...spec.evaluate, prompt: promptText(cell.prompt), checkpoint_sha256: ck.sha256 },
    inputs: { processed, raw, ...(noveltyTrain ? { train: noveltyTrain } : {}) },
    code: [...STAGE_CODE.evaluate],
  }, async (out) => {
    const csvPath = join(out, "eval.csv");
    const r = evaluate(processed, {
      prompt: promptComposition(cell.prompt) ?? undefined,
      // uniqueness among valid samples: pymatgen's default StructureMatcher, as upstream
      matcher: matcherPredicate(),
      train: noveltyTrain ? (run.noveltySet ??= loadTrainingSet(noveltyTrain)) : undefined,
      // upstream's evaluate_cifs.py figures: over the raw samples, as upstream runs it
      upstreamFrom: raw,
    });
    await Deno.writeTextFile(csvPath, rowsToCsv(r.rows));
    await Deno.writeTextFile(metricsPathFor(csvPath), JSON.stringify(r.metrics, null, 2) + "\n");
    return { outputs: { metrics: r.metrics } };
  });
  const metrics = manifest.outputs.metrics as Partial<EvalMetrics> | undefined;
  return {
    model: cell.model,
    prompt: promptText(cell.prompt),
    prompt_formula: promptFormula(cell.prompt),
    temperature: spec.sample.temperatures ? cell.temperature : null,
    rows: readEvalCsv(join(evalDir, "eval.csv")),
    n_unique: metrics?.n_unique_valid,
    uniqueness_method: metrics?.uniqueness_method,
    upstream: metrics?.upstream_evaluate_cifs ?? null,
  };
}

/**
 * The summarize step: summary tables, report, metrics and run.json, each written to a temporary
 * name and renamed (a link planted at the name is replaced, not followed), run.json last: it marks
 * the run finished.
 */
async function summarizeStep(
  run: Run,
  evaluated: SummaryInput[],
  checkpoints: RunResult["checkpoints"],
  options: RunOptions,
  t0: number,
  benchmarkMetrics: Record<string, number | null> = {},
): Promise<RunResult> {
  const { spec, dir } = run;
  const summary = summarize(evaluated);
  const metrics = { ...flattenMetrics(summary, spec.snapshot), ...benchmarkMetrics };
  const write = (name: string, text: string) =>
    writeFileAtomic(join(dir, name), new TextEncoder().encode(text));
  await write("summary.csv", summaryCsv(summary));
  await write("summary_macro.csv", macroCsv(summary));
  const csp = cspRows(benchmarkMetrics);
  if (csp.length) await write("summary_csp.csv", cspCsv(csp));
  await write("summary.md", summaryMarkdown(summary, spec.experiment, csp));
  const trainLogs: Record<string, string> = {};
  for (const name of Object.keys(spec.models)) {
    try {
      trainLogs[name] = await Deno.readTextFile(join(dir, "train", name, "train_log.csv"));
    } catch { /* a model used as is has no training log */ }
  }
  await write("report.html", await renderReport({ experiment: spec, summary, trainLogs, cells: evaluated, csp }));
  const seconds = (performance.now() - t0) / 1000;
  if (options.resolved) await write("config.resolved.yaml", experimentYaml(options.resolved));
  await write("metrics.json", JSON.stringify(metrics, null, 2) + "\n");
  const record = {
    experiment: spec.experiment,
    profile: options.profile ?? null,
    overrides: options.sets ?? [],
    harness_commit: harnessCommit(),
    deno: Deno.version,
    checkpoints,
    stages: run.stages,
    seconds,
    finished: new Date().toISOString(),
  };
  await write("run.json", JSON.stringify(record, null, 2) + "\n");
  return { dir, summary, metrics, checkpoints, seconds };
}
