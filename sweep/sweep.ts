/**
 * Making a sweep and merging it. `createSweep` runs the stages that must come first
 * (dataset, train, export: the runner's own, skipped when unchanged) and writes the shard
 * table, so shards only sample. `mergeSweep` checks every shard, then runs the experiment
 * with each sample cell's files taken from the shards: postprocess, evaluate and summarize
 * are the runner's, and the sample stage's fingerprint is the one a single-machine `run` has.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import { type ExperimentSpec, loadExperiment } from "../run/experiment.ts";
import { repoPath, runExperiment, type RunResult, type SampleCell } from "../run/runner.ts";
import { REPO_ROOT } from "../core/paths.ts";
import { codeVersion } from "../run/stage.ts";
import { benchmarkPrompts } from "../csp/benchmark.ts";
import {
  assertSameCode,
  autoShards,
  cellKey,
  describeShard,
  experimentFingerprint,
  planShards,
  readTable,
  SAMPLE_CODE,
  type Shard,
  SweepError,
  type SweepInfo,
  writeTable,
} from "./table.ts";
import { type DoneMarker, shardDir, shardProblem } from "./shard.ts";

/** How to make a sweep. */
export interface SweepOptions {
  sets?: string[];
  profile?: string;
  /** Output root; the run directory is `<out>/<experiment>`. */
  out?: string;
  /** Number of shards, or `auto`. */
  shards: number | "auto";
  /** For `auto`: at least this many shards (local workers, --max-parallel). */
  atLeast?: number;
  log?: (l: string) => void;
}

/**
 * Run the experiment's stages before sampling and write its shard table.
 *
 * @param experiment Experiment name or YAML path.
 * @param options Overrides, profile, output root and shard count.
 * @returns The run directory, the table and whether it was written now.
 */
export async function createSweep(
  experiment: string,
  options: SweepOptions,
): Promise<{ runDir: string; info: SweepInfo; shards: Shard[]; spec: ExperimentSpec; created: boolean }> {
  const sets = options.sets ?? [];
  const { spec, resolved, file } = loadExperiment(experiment, {
    profile: options.profile,
    sets,
    root: REPO_ROOT,
  });
  const models: RunResult = await runExperiment(spec, {
    sets,
    profile: options.profile,
    resolved,
    outRoot: options.out,
    file,
    log: options.log,
    untilModels: true,
  });
  const code = codeVersion(SAMPLE_CODE);
  const fp = experimentFingerprint(resolved, models.checkpoints, code);
  // a CSP benchmark's shards are blocks of test compositions, with upstream's prompts in the table
  const items = spec.benchmark
    ? benchmarkPrompts(repoPath(spec.benchmark.test, dirname(models.dir)), spec.benchmark.limit)
    : undefined;
  const n = options.shards === "auto" ? autoShards(spec, options.atLeast, items?.length) : options.shards;
  const shards = planShards(spec, n, fp, items);
  const info: SweepInfo = {
    experiment: spec.experiment,
    file: resolve(file),
    profile: options.profile ?? null,
    sets,
    resolved,
    fingerprint: fp,
    code_version: code,
    checkpoints: models.checkpoints,
    shards: shards.length,
    created: new Date().toISOString(),
  };
  const created = await writeTable(models.dir, info, shards);
  return { runDir: models.dir, ...(created ? { info, shards, spec } : readTable(models.dir)), created };
}

/** Every shard that does not count as done, with why. */
export async function unfinishedShards(
  runDir: string,
  shards: Shard[],
  n: number,
): Promise<{ shard: Shard; why: string }[]> {
  const out = [];
  for (const s of shards) {
    const why = await shardProblem(runDir, s, n);
    if (why) out.push({ shard: s, why });
  }
  return out;
}

/**
 * Merge a finished sweep into the run directory's normal layout and finish the run.
 *
 * @param runDir The sweep's run directory.
 * @param options `log`.
 * @returns The runner's result (summary, metrics).
 * @throws {SweepError} Naming every shard that is missing, stale or corrupt.
 */
export async function mergeSweep(
  runDir: string,
  options: { log?: (l: string) => void } = {},
): Promise<RunResult> {
  const dir = resolve(runDir);
  const { info, shards, spec } = readTable(dir);
  if (basename(dir) !== info.experiment) {
    throw new SweepError(
      `${dir} holds a sweep of ${info.experiment}; its run directory must be named ${info.experiment}`,
    );
  }
  assertSameCode(info);
  const bad = await unfinishedShards(dir, shards, spec.sample.n);
  if (bad.length) {
    throw new SweepError(
      `${bad.length} of ${shards.length} shards of ${dir} are not done:\n` +
        bad.map(({ shard, why }) => `  shard ${shard.index} (${describeShard(shard)}): ${why}`).join("\n") +
        `\nrerun them: crystallm sweep resubmit ${dir} (Slurm) or crystallm shard run ${dir} <index>`,
    );
  }
  // the samples always come from the shards: every cell's sample stage is filled again
  for (const s of shards) {
    for (const u of s.units) {
      const stage = u.benchmark ? join(dir, "csp", u.model, "raw") : join(dir, "sample", cellKey(u), "raw");
      await Deno.remove(join(stage, "manifest.json")).catch(() => {});
    }
  }
  return await runExperiment(spec, {
    sets: info.sets,
    profile: info.profile ?? undefined,
    resolved: structuredClone(info.resolved),
    outRoot: dirname(dir),
    file: info.file,
    log: options.log,
    sampleCell: (cell) => fillCell(dir, shards, info, spec.sample.n, cell),
    benchmarkRaw: (model, out) => fillBenchmark(dir, shards, info, spec.sample.n, model, out),
  });
}

/** Copy a cell's samples from its shards into the stage folder; the outputs the sample stage records. */
async function fillCell(dir: string, shards: Shard[], info: SweepInfo, n: number, cell: SampleCell) {
  const key = cellKey(cell);
  const files: string[] = [];
  let tokens = 0, seconds = 0;
  const used: number[] = [];
  let device: unknown = null, engine = "libtorch";
  for (const s of shards) {
    const units = s.units.filter((u) => cellKey(u) === key);
    if (!units.length) continue;
    const done: DoneMarker = JSON.parse(await Deno.readTextFile(join(shardDir(dir, s.index), "DONE")));
    for (const u of units) {
      for (let k = u.start + 1; k <= u.end; k++) {
        const name = `sample_${k}.cif`;
        await Deno.copyFile(join(shardDir(dir, s.index), key, name), join(cell.out, name));
        files.push(name);
      }
    }
    for (const u of done.units.filter((x) => x.cell === key)) {
      if (u.checkpoint_sha256 !== info.checkpoints[cell.model].sha256) {
        throw new SweepError(
          `shard ${s.index} sampled ${key} from checkpoint ${
            u.checkpoint_sha256.slice(0, 12)
          }, not the model's`,
        );
      }
      tokens += u.new_tokens;
      seconds += u.seconds;
      device ??= u.device;
      engine = u.engine;
    }
    used.push(s.index);
  }
  if (files.length !== n) {
    throw new SweepError(`${key}: the shards hold ${files.length} samples, the experiment ${n}`);
  }
  return {
    files: files.length,
    tokens_per_s: seconds > 0 ? tokens / seconds : 0,
    checkpoint_sha256: cell.checkpoint.sha256,
    device,
    ...(engine === "onnx" ? { engine } : {}),
    merged_from_shards: used,
  };
}

/** Copy a model's CSP generations from its shards into `csp/<model>/raw`; the outputs the stage records. */
async function fillBenchmark(
  dir: string,
  shards: Shard[],
  info: SweepInfo,
  n: number,
  model: string,
  out: string,
) {
  let ids = 0, tokens = 0, seconds = 0;
  const used: number[] = [];
  for (const s of shards) {
    const units = s.units.filter((u) => u.benchmark && u.model === model);
    if (!units.length) continue;
    const done: DoneMarker = JSON.parse(await Deno.readTextFile(join(shardDir(dir, s.index), "DONE")));
    for (const u of units) {
      for (const id of u.benchmark!.ids) {
        for (let k = 1; k <= n; k++) {
          await Deno.copyFile(
            join(shardDir(dir, s.index), cellKey(u), `${id}__${k}.cif`),
            join(out, `${id}__${k}.cif`),
          );
        }
      }
      ids += u.benchmark!.ids.length;
    }
    for (const u of done.units.filter((x) => x.cell === join(model, "csp"))) {
      if (u.checkpoint_sha256 !== info.checkpoints[model].sha256) {
        throw new SweepError(`shard ${s.index} generated for ${model} from another checkpoint`);
      }
      tokens += u.new_tokens;
      seconds += u.seconds;
    }
    used.push(s.index);
  }
  return {
    ids,
    files: ids * n,
    tokens_per_s: seconds > 0 ? tokens / seconds : 0,
    checkpoint_sha256: info.checkpoints[model].sha256,
    merged_from_shards: used,
  };
}
