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
 * out/<experiment>/summary.{csv,md}, summary_macro.csv, metrics.json, report.html
 * ```
 *
 * @module
 */
import { basename, isAbsolute, join, resolve } from "node:path";
import { existsSync } from "node:fs";
import { parse as parseCsv } from "csv-parse/sync";
import { type ExperimentSpec, experimentProblems, experimentYaml, isOnnxModel, promptSlug, promptText } from "./experiment.ts";
import { hashFile } from "./fingerprint.ts";
import { assertInside, ContainmentError, isInside, realPathOf } from "./paths.ts";
import { acquireRunLock } from "./lock.ts";
import { readCheckpoint } from "../checkpoint/mod.ts";
import { writeFileAtomic } from "../checkpoint/write_checkpoint.ts";
import { REPO_ROOT } from "./repo.ts";
import { harnessCommit, runStage, type StageOptions } from "./stage.ts";
import { buildDataset } from "../dataset/build.ts";
import { subsetTokenized } from "../dataset/subset.ts";
import { keepAsIs } from "../dataset/symmetrize_step.ts";
import { resolveTrainConfig, TRAIN_DEFAULTS } from "../train/config.ts";
import { train } from "../train/train.ts";
import { generate } from "../generate/generate.ts";
import { postprocessDir } from "../postprocess/postprocess_dir.ts";
import { evaluate, metricsPathFor, rowsToCsv } from "../evaluate/evaluate.ts";
import { loadTrainingSet, type TrainingSet } from "../evaluate/novelty.ts";
import { type EvalRecord, macroCsv, summarize, type Summary, summaryCsv, summaryMarkdown } from "../summarize/summarize.ts";
import { renderReport } from "../summarize/report.ts";
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
        `Refusing ${p}: run: paths name an output of another experiment inside the output root ${resolve(root)}, ` +
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
    const base = Deno.env.get("CRYSTALLM_SHARED") ?? resolve(REPO_ROOT, "..", "shared");
    const full = join(base, p.slice("shared:".length));
    try {
      Deno.statSync(full);
    } catch {
      throw new RunError(`Cannot find ${full}: put the shared/ data folder beside the checkout or set CRYSTALLM_SHARED`);
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
export function flattenMetrics(summary: Summary, spec: ExperimentSpec["snapshot"]): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  const t = (x: number | null) => (x === null ? "" : `/t${x}`);
  for (const r of summary.rows) {
    for (const m of spec.metrics) out[`${r.model}/${promptSlug(r.prompt)}${t(r.temperature)}/${m}`] = (r as unknown as Record<string, number | null>)[m] ?? null;
  }
  for (const r of summary.macro) {
    for (const m of spec.macro) out[`${r.model}${t(r.temperature)}/macro/${m}`] = (r as unknown as Record<string, number | null>)[m] ?? null;
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
  const log = options.log ?? ((l: string) => console.error(l));
  const root = repoPath(options.outRoot ?? "out");
  const dir = assertInside(root, join(root, spec.experiment), "the run directory");
  // every input is checked before any stage runs, every problem listed at once
  const problems = await inputProblems(spec, root);
  if (problems.length) throw experimentProblems(options.file ?? `experiment ${spec.experiment}`, problems);
  using _lock = acquireRunLock(dir, { log });
  // the run's own files describe one finished run: an interrupted rerun leaves none of them
  for (const f of RUN_FILES) await Deno.remove(join(dir, f)).catch(() => {});
  return await runLocked(spec, options, { t0, log, root, dir });
}

/** Files a finished run writes at its end, together; none of them exists while it runs. */
const RUN_FILES = ["metrics.json", "run.json", "config.resolved.yaml", "summary.csv", "summary_macro.csv", "summary.md", "report.html"];

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
  if (ds?.sources) ds.sources.forEach((x, i) => exists(`dataset.sources[${i}]`, path(`dataset.sources[${i}]`, x)));
  if (ds?.tokens) exists("dataset.tokens", path("dataset.tokens", ds.tokens));
  if (spec.benchmark) exists("benchmark.test", path("benchmark.test", spec.benchmark.test));
  if (ds?.subset) exists("dataset.subset.in", path("dataset.subset.in", ds.subset.in));
  if (spec.evaluate.novelty_against) exists("evaluate.novelty_against", path("evaluate.novelty_against", spec.evaluate.novelty_against));
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
    if (cfg.dataset !== undefined) exists(`models.${name}.train.dataset`, path(`models.${name}.train.dataset`, String(cfg.dataset)));
    else if (!spec.dataset) problems.push(`models.${name}.train needs a dataset (the experiment has no dataset stage)`);
    const from = cfg.init_from;
    let have: number | null = null;
    if (typeof from === "string" && from !== "scratch" && from !== "resume") {
      have = spec.models[from] ? blockSize.get(from) ?? null : await ckptBlock(`models.${name}.train.init_from`, from);
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
  const log = options.log ?? ((l: string) => console.error(l));
  const root = repoPath(options.outRoot ?? "out");
  const dir = assertInside(root, join(root, spec.experiment), "the run directory");
  const problems = await inputProblems(spec, root);
  if (problems.length) throw experimentProblems(options.file ?? `experiment ${spec.experiment}`, problems);
  using _lock = acquireRunLock(dir, { log });
  const { checkpoints } = await modelStages(spec, { log, root, dir }, { force: options.force, log, root }, () => {});
  return checkpoints;
}

type Note = (m: { manifest: { stage: string; seconds: number }; skipped: boolean }) => void;

/** The dataset and train stages; models used as is are hashed (an exported `.onnx` one is also the model sampled). */
async function modelStages(
  spec: ExperimentSpec,
  ctx: { log: (l: string) => void; root: string; dir: string },
  stageOpts: StageOptions,
  note: Note,
): Promise<{ checkpoints: RunResult["checkpoints"]; onnxModels: Record<string, string> }> {
  const { log, root, dir } = ctx;

  // --- dataset -------------------------------------------------------------
  let tokens: string | null = null;
  if (spec.dataset) {
    const ds = spec.dataset;
    if (ds.tokens) tokens = repoPath(ds.tokens, root);
    else {
      const dsDir = join(dir, "dataset");
      const inputs: Record<string, string> = {};
      if (ds.sources) ds.sources.forEach((s, i) => (inputs[`source${i}`] = repoPath(s, root)));
      if (ds.subset) inputs.subset_in = repoPath(ds.subset.in, root);
      note(
        await runStage("dataset", dsDir, { params: ds, inputs, code: ["dataset", "cif", "symmetry", "pickle"] }, async (out) => {
          if (ds.subset) {
            const opts = Object.fromEntries(Object.entries({
              nTrain: ds.subset.n_train,
              nVal: ds.subset.n_val,
              minLen: ds.subset.min_len,
              seed: ds.subset.seed,
              allowFewer: ds.subset.allow_fewer,
            }).filter(([, v]) => v !== undefined)) as unknown as Parameters<typeof subsetTokenized>[2];
            const m = await subsetTokenized(repoPath(ds.subset.in, root), out, opts);
            return { subset: m as unknown as Record<string, unknown> };
          }
          const m = await buildDataset(ds.sources!.map((x) => repoPath(x, root)), out, {
            valFraction: ds.val_fraction,
            seed: ds.seed,
            dedupe: ds.dedupe,
            symmetrize: ds.symmetrize === false ? keepAsIs : undefined,
            progress: Deno.stderr.isTerminal(),
          });
          return { counts: m.counts };
        }, stageOpts),
      );
      tokens = dsDir;
    }
  }

  // --- models --------------------------------------------------------------
  const checkpoints: RunResult["checkpoints"] = {};
  const onnxModels: Record<string, string> = {};
  for (const name of modelOrder(spec)) {
    const m = spec.models[name];
    if (m.checkpoint) {
      const path = checkpointFile(m.checkpoint, root);
      if (isOnnxModel(path)) {
        // an exported model (an offline ONNX bundle's): sampled as it is; the checkpoint it was
        // exported from, as its metadata records it, identifies the model for the later stages
        const { readOnnxModelInfo } = await import("../onnx/session.ts");
        const info = await readOnnxModelInfo(path);
        checkpoints[name] = { path, sha256: info.checkpoint_sha256 };
        onnxModels[name] = path;
      } else checkpoints[name] = { path, sha256: await hashFile(path) };
      continue;
    }
    const cfg = { ...m.train! } as Record<string, unknown>;
    const from = cfg.init_from as string | undefined;
    let initPath: string | null = null;
    if (from && from !== "scratch" && from !== "resume") {
      initPath = checkpoints[from]?.path ?? checkpointFile(from, root);
      cfg.init_from = initPath;
    }
    if (!cfg.dataset) {
      if (!tokens) throw new RunError(`models.${name}.train needs a dataset (the experiment has no dataset stage)`);
      cfg.dataset = tokens;
    } else cfg.dataset = repoPath(cfg.dataset as string, root);
    const trainDir = join(dir, "train", name);
    cfg.out_dir = trainDir;
    // the experiment's device/dtype (`--set device=cuda`) unless the model sets its own
    if (spec.device !== undefined && cfg.device === undefined) cfg.device = spec.device;
    if (spec.dtype !== undefined && cfg.dtype === undefined) cfg.dtype = spec.dtype;
    const inputs: Record<string, string> = { train_bin: join(cfg.dataset as string, "train.bin"), val_bin: join(cfg.dataset as string, "val.bin") };
    if (initPath) inputs.init_checkpoint = initPath;
    const params = { ...cfg, out_dir: undefined, dataset: undefined, init_from: from };
    const res = await runStage(`train/${name}`, trainDir, { params, inputs, code: ["train", "ffi", "checkpoint", "pickle", "dataset"] }, async () => {
      const config = resolveTrainConfig(cfg);
      const r = await train(config, { progress: Deno.stderr.isTerminal(), log });
      if (!r.checkpoint) {
        throw new RunError(`train/${name} saved no checkpoint: set always_save_checkpoint: true (the seed's stale-checkpoint pitfall)`);
      }
      return { checkpoint: r.checkpoint, iter_num: r.iter_num, best_val_loss: r.best_val_loss, tokens_per_s: r.tokens_per_s, mode: r.mode, device: r.device_info };
    }, stageOpts);
    note(res);
    const recorded = res.manifest.outputs.checkpoint as { path: string; sha256: string; iter_num: number };
    const ck = { ...recorded, path: movedPath(recorded.path, trainDir) };
    // the seed's pitfall: evaluation silently used the old pretrained checkpoint
    const onDisk = await hashFile(ck.path);
    if (onDisk !== ck.sha256) throw new RunError(`train/${name}: ${ck.path} changed after training (sha256 ${onDisk.slice(0, 12)} ≠ recorded ${ck.sha256.slice(0, 12)})`);
    if (initPath && (await hashFile(initPath)) === ck.sha256) {
      throw new RunError(`train/${name}: the saved checkpoint is the initial one (stale checkpoint): training did not save`);
    }
    checkpoints[name] = { path: ck.path, sha256: ck.sha256 };
  }
  return { checkpoints, onnxModels };
}

async function runLocked(
  spec: ExperimentSpec,
  options: RunOptions,
  ctx: { t0: number; log: (l: string) => void; root: string; dir: string },
): Promise<RunResult> {
  const { t0, log, root, dir } = ctx;
  // novelty against a training set (token folder, CIF folder, .tar.gz or CSV), when the YAML names one
  const noveltyTrain = spec.evaluate.novelty_against ? repoPath(spec.evaluate.novelty_against, root) : undefined;
  let noveltySet: TrainingSet | undefined;
  const stageOpts: StageOptions = { force: options.force, log, root };
  const stages: { stage: string; skipped: boolean; seconds: number }[] = [];
  const note: Note = (m) => stages.push({ stage: m.manifest.stage, skipped: m.skipped, seconds: m.manifest.seconds });
  const { checkpoints, onnxModels } = await modelStages(spec, { log, root, dir }, stageOpts, note);

  // --- export (models sampled with engine: onnx) ----------------------------
  for (const model of Object.keys(spec.models)) {
    if (spec.models[model].engine !== "onnx" || onnxModels[model]) continue;
    const ck = checkpoints[model];
    const exportDir = join(dir, "export", model);
    note(
      await runStage(`export/${model}`, exportDir, {
        params: { format: "onnx", opset: 17 },
        inputs: { checkpoint: ck.path },
        code: ["export", "checkpoint", "pickle"],
      }, async (out) => {
        const { exportOnnx } = await import("../export/onnx_export.ts");
        const r = await exportOnnx({ ckpt: ck.path, out: join(out, "model.onnx") });
        return { model: r.out, sha256: r.sha256, checkpoint_sha256: r.checkpoint_sha256 };
      }, stageOpts),
    );
    onnxModels[model] = join(exportDir, "model.onnx");
  }

  if (options.untilModels) {
    return { dir, summary: summarize([]), metrics: {}, checkpoints, seconds: (performance.now() - t0) / 1000 };
  }

  // --- the CSP benchmark (csp/): generations per test composition, match rate ---
  const benchmarkMetrics: Record<string, number | null> = {};
  if (spec.benchmark) {
    const { runBenchmarkStages } = await import("../csp/benchmark.ts");
    const testCsv = repoPath(spec.benchmark.test, root);
    for (const model of Object.keys(spec.models)) {
      Object.assign(
        benchmarkMetrics,
        await runBenchmarkStages(spec as ExperimentSpec & { benchmark: NonNullable<ExperimentSpec["benchmark"]> }, {
          dir,
          model,
          checkpoint: checkpoints[model],
          testCsv,
          stageOpts,
          note,
          fillRaw: options.benchmarkRaw,
        }),
      );
    }
  }

  // --- sample → postprocess → evaluate ------------------------------------
  const temps = spec.sample.temperatures ?? [null];
  const cells: Parameters<typeof summarize>[0] = [];
  for (const model of Object.keys(spec.models)) {
    for (const prompt of spec.prompts) {
      for (const temp of temps) {
        const temperature = temp ?? spec.sample.temperature;
        const base = join(dir, "sample", model, promptSlug(prompt), `t${temperature}`);
        const ck = checkpoints[model];
        const onnx = onnxModels[model];
        const sampleParams = {
          ...spec.sample,
          temperatures: undefined,
          temperature,
          prompt: promptText(prompt),
          ...(onnx ? { engine: "onnx", device: "cpu", dtype: undefined } : {}),
        };
        const s = await runStage(`sample/${model}/${promptSlug(prompt)}/t${temperature}`, join(base, "raw"), {
          params: sampleParams,
          inputs: onnx === ck.path ? { model: onnx } : { checkpoint: ck.path, ...(onnx ? { model: onnx } : {}) },
          code: ["generate", "ffi", "checkpoint", "pickle", "dataset", ...(onnx ? ["onnx", "export"] : [])],
        }, async (out) => {
          if (options.sampleCell) return await options.sampleCell({ model, prompt, temperature, out, checkpoint: ck });
          // what both engines take: the experiment's sampling settings at this temperature
          const sampling = {
            prompt: promptText(prompt),
            out,
            num_samples: spec.sample.n,
            max_new_tokens: spec.sample.max_new_tokens,
            temperature,
            top_k: spec.sample.top_k,
            seed: spec.sample.seed,
            batch: spec.sample.batch,
          };
          if (onnx) {
            const { generateOnnx } = await import("../generate/onnx_engine.ts");
            const r = await generateOnnx({ ...sampling, model: onnx });
            // the checkpoint the exported graph was made from, as its metadata records it
            const meta = JSON.parse(await Deno.readTextFile(join(out, "manifest.json")));
            return { files: r.files.length, tokens_per_s: r.tokens_per_s, checkpoint_sha256: meta.checkpoint.sha256, engine: "onnx", device: r.device_info };
          }
          const r = await generate({
            ...sampling,
            ckpt: ck.path,
            device: spec.sample.device,
            ...(spec.sample.dtype ? { dtype: spec.sample.dtype } : {}),
          });
          return { files: r.files.length, tokens_per_s: r.tokens_per_s, checkpoint_sha256: ck.sha256, device: r.device_info };
        }, stageOpts);
        note(s);
        // an evaluation refuses samples from a checkpoint other than the one training recorded
        const sampled = JSON.parse(await Deno.readTextFile(join(base, "raw", "manifest.json")));
        const usedSha = sampled.outputs?.checkpoint_sha256;
        if (usedSha !== ck.sha256) {
          throw new RunError(`sample/${model}: samples come from checkpoint ${String(usedSha).slice(0, 12)}, but the model's checkpoint is ${ck.sha256.slice(0, 12)}; rerun with --force`);
        }
        note(
          await runStage(`postprocess/${model}/${promptSlug(prompt)}/t${temperature}`, join(base, "processed"), {
            params: {},
            inputs: { raw: join(base, "raw") },
            code: ["postprocess", "symmetry", "cif"],
          }, (out) => {
            const r = postprocessDir(join(base, "raw"), out, { onFailure: () => {} });
            return { n_files: r.n_files, n_failures: r.n_failures };
          }, stageOpts),
        );
        const evalDir = join(base, "eval");
        note(
          await runStage(`evaluate/${model}/${promptSlug(prompt)}/t${temperature}`, evalDir, {
            params: { ...spec.evaluate, prompt: promptText(prompt), checkpoint_sha256: ck.sha256 },
            inputs: {
              processed: join(base, "processed"),
              raw: join(base, "raw"),
              ...(noveltyTrain ? { train: noveltyTrain } : {}),
            },
            code: ["evaluate", "symmetry", "cif", "dataset", "match", "postprocess"],
          }, async (out) => {
            const csvPath = join(out, "eval.csv");
            // uniqueness among valid samples: pymatgen's default StructureMatcher, as upstream
            // the training set is read once per run, not once per evaluated folder
            if (noveltyTrain) noveltySet ??= loadTrainingSet(noveltyTrain);
            const r = evaluate(join(base, "processed"), {
              prompt: promptComposition(prompt) ?? undefined,
              matcher: matcherPredicate(),
              train: noveltySet,
              // upstream's evaluate_cifs.py figures: over the raw samples, as upstream runs it
              upstreamFrom: join(base, "raw"),
            });
            await Deno.writeTextFile(csvPath, rowsToCsv(r.rows));
            await Deno.writeTextFile(metricsPathFor(csvPath), JSON.stringify(r.metrics, null, 2) + "\n");
            return { metrics: r.metrics as unknown as Record<string, unknown> };
          }, stageOpts),
        );
        const evalMetrics = JSON.parse(await Deno.readTextFile(join(evalDir, "manifest.json"))).outputs?.metrics;
        cells.push({
          model,
          prompt: promptText(prompt),
          prompt_formula: promptFormula(prompt),
          temperature: spec.sample.temperatures ? temperature : null,
          rows: readEvalCsv(join(evalDir, "eval.csv")),
          n_unique: evalMetrics?.n_unique_valid,
          uniqueness_method: evalMetrics?.uniqueness_method,
          upstream: evalMetrics?.upstream_evaluate_cifs ?? null,
        });
      }
    }
  }

  // --- summarize -----------------------------------------------------------
  const summary = summarize(cells);
  const metrics = { ...flattenMetrics(summary, spec.snapshot), ...benchmarkMetrics };
  // written to a temporary name and renamed (a link planted at the name is replaced, not followed),
  // run.json last: it marks the run finished
  const write = (name: string, text: string) => writeFileAtomic(join(dir, name), new TextEncoder().encode(text));
  await write("summary.csv", summaryCsv(summary));
  await write("summary_macro.csv", macroCsv(summary));
  await write("summary.md", summaryMarkdown(summary, spec.experiment));
  const trainLogs: Record<string, string> = {};
  for (const name of Object.keys(spec.models)) {
    try {
      trainLogs[name] = await Deno.readTextFile(join(dir, "train", name, "train_log.csv"));
    } catch { /* a model used as is has no training log */ }
  }
  await write("report.html", await renderReport({ experiment: spec, summary, trainLogs, cells }));
  const seconds = (performance.now() - t0) / 1000;
  if (options.resolved) await write("config.resolved.yaml", experimentYaml(options.resolved));
  await write("metrics.json", JSON.stringify(metrics, null, 2) + "\n");
  await write(
    "run.json",
    JSON.stringify({
      experiment: spec.experiment,
      profile: options.profile ?? null,
      overrides: options.sets ?? [],
      harness_commit: harnessCommit(),
      deno: Deno.version,
      checkpoints,
      stages,
      seconds,
      finished: new Date().toISOString(),
    }, null, 2) + "\n",
  );
  return { dir, summary, metrics, checkpoints, seconds };
}
