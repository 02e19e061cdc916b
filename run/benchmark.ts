/**
 * The CSP benchmark's stages of an experiment (see csp/benchmark.ts): generations per test
 * composition, post-processing, match rate and RMS.
 *
 * @module
 */
import { join } from "node:path";
import { benchmarkPrompts, generateCompositions } from "../csp/benchmark.ts";
import type { BenchmarkSpec } from "../csp/spec.ts";
import { postprocessDir } from "../postprocess/postprocess_dir.ts";
import { benchmarkMetricsFromFiles } from "../match/benchmark_metrics.ts";
import { runStage, type StageManifest, type StageOptions } from "./stage.ts";
import type { ExperimentSpec } from "./experiment.ts";

/**
 * Run the benchmark stages of one model: `csp/<model>/raw` (generations), `processed`,
 * `metrics` (match rate and RMS).
 *
 * @returns Flat metrics `<model>/csp/n<k>/match_rate`, `…/rms_dist`, `…/n` (IDs scored) for k = 1, n.
 */
export async function runBenchmarkStages(
  spec: ExperimentSpec & { benchmark: BenchmarkSpec },
  ctx: {
    dir: string;
    model: string;
    checkpoint: { path: string; sha256: string };
    testCsv: string;
    stageOpts: StageOptions;
    note: (m: { manifest: StageManifest; skipped: boolean }) => void;
    /** Fill the generations' stage folder from elsewhere (a sweep's merge); returns its outputs. */
    fillRaw?: (model: string, out: string) => Promise<Record<string, unknown>>;
  },
): Promise<Record<string, number | null>> {
  const { model, checkpoint, testCsv, stageOpts, note } = ctx;
  const base = join(ctx.dir, "csp", model);
  const n = spec.sample.n;
  const raw = join(base, "raw"), processed = join(base, "processed"), scored = join(base, "metrics");
  note(
    await runStage(`csp/${model}/raw`, raw, {
      params: { ...spec.sample, temperatures: undefined, limit: spec.benchmark.limit },
      inputs: { checkpoint: checkpoint.path, test: testCsv },
      code: ["csp/benchmark.ts"],
    }, async (out) => {
      if (ctx.fillRaw) return { outputs: await ctx.fillRaw(model, out) };
      const prompts = benchmarkPrompts(testCsv, spec.benchmark.limit);
      const log = stageOpts.log ?? ((l: string) => console.error(l));
      const progress = progressLine(`csp/${model}/raw`, n, log);
      let tokens = 0, seconds = 0;
      await generateCompositions(spec.sample, checkpoint.path, prompts, out, (done, total, r) => {
        tokens += r.tokens;
        seconds += r.seconds;
        progress(done, total, tokens);
      });
      return {
        outputs: {
          ids: prompts.length,
          files: prompts.length * n,
          tokens_per_s: seconds > 0 ? tokens / seconds : 0,
          checkpoint_sha256: checkpoint.sha256,
        },
      };
    }, stageOpts),
  );
  note(
    await runStage(`csp/${model}/processed`, processed, {
      params: {},
      inputs: { raw },
      code: ["postprocess/postprocess_dir.ts"],
    }, (out) => {
      const r = postprocessDir(raw, out, { onFailure: () => {} });
      return { outputs: { n_files: r.n_files, n_failures: r.n_failures }, report: r };
    }, stageOpts),
  );
  // the stage folder's manifest.json is not a generation
  const res = await runStage(`csp/${model}/metrics`, scored, {
    params: { ns: [1, n], validity: "upstream" },
    inputs: { processed, test: testCsv },
    code: ["csp/benchmark.ts", "match/benchmark_metrics.ts"],
  }, (out) => {
    const gen = join(out, ".gen");
    Deno.mkdirSync(gen);
    for (const e of Deno.readDirSync(processed)) {
      if (e.name.endsWith(".cif")) Deno.copyFileSync(join(processed, e.name), join(gen, e.name));
    }
    const report = benchmarkMetricsFromFiles(gen, testCsv, { ns: [...new Set([1, n])] });
    Deno.removeSync(gen, { recursive: true });
    Deno.writeTextFileSync(join(out, "benchmark.json"), JSON.stringify(report, null, 2) + "\n");
    return { outputs: { metrics: report.metrics, warnings: report.warnings, ground_truth: report.ground_truth } };
  }, stageOpts);
  note(res);
  const metrics: Record<string, number | null> = {};
  for (
    const m of res.manifest.outputs.metrics as {
      n: number;
      match_rate: number;
      rms_dist: number | null;
      n_ids: number;
    }[]
  ) {
    // `<model>/csp/n<k>/…`: match rate and mean RMS over the first k generations; n: IDs scored
    metrics[`${model}/csp/n${m.n}/match_rate`] = m.match_rate;
    metrics[`${model}/csp/n${m.n}/rms_dist`] = m.rms_dist;
    metrics[`${model}/csp/n${m.n}/n`] = m.n_ids;
  }
  return metrics;
}

/**
 * A progress logger for a long loop over compositions: a line at most every 30 s (and at the
 * end) with compositions and files done, tokens/s and the time left at that rate.
 *
 * @param stage The stage's name, as the log shows it.
 * @param perComposition Files per composition.
 * @param log Where lines go.
 * @param now Clock in ms (tests pass their own).
 * @returns Call it after each composition.
 * @example A line after 30 s and one at the end, none in between
 * ```ts
 * import { progressLine } from "./benchmark.ts";
 * import assert from "node:assert/strict";
 * let t = 0;
 * const lines: string[] = [];
 * const tick = progressLine("csp/m/raw", 20, (l) => lines.push(l), () => t);
 * t = 10_000; tick(1, 4, 5_000);
 * t = 40_000; tick(2, 4, 20_000);
 * t = 50_000; tick(3, 4, 30_000);
 * t = 80_000; tick(4, 4, 40_000);
 * assert.deepEqual(lines, [
 *   "[csp/m/raw] 2/4 compositions, 40 files, 500 tokens/s, about 40 s left",
 *   "[csp/m/raw] 4/4 compositions, 80 files, 500 tokens/s",
 * ]);
 * ```
 */
export function progressLine(
  stage: string,
  perComposition: number,
  log: (line: string) => void,
  now: () => number = () => performance.now(),
): (done: number, total: number, tokens: number) => void {
  const t0 = now();
  let last = t0;
  return (done, total, tokens) => {
    const t = now();
    if (done < total && t - last < 30_000) return;
    last = t;
    const s = (t - t0) / 1000;
    const left = done > 0 ? (s / done) * (total - done) : 0;
    const eta = done < total ? `, about ${left >= 90 ? `${Math.round(left / 60)} min` : `${Math.round(left)} s`} left` : "";
    log(
      `[${stage}] ${done}/${total} compositions, ${done * perComposition} files, ` +
        `${Math.round(s > 0 ? tokens / s : 0)} tokens/s${eta}`,
    );
  };
}

/**
 * What sets the snapshot tolerance of a CSP benchmark metric: for `<model>/csp/n<k>/match_rate`
 * the compositions scored (a binomial rate over them, not over `sample.n`), for `…/rms_dist` the
 * matched compositions and their RMS spread (from the run's `csp/<model>/metrics/benchmark.json`);
 * nothing for other metrics.
 *
 * @param runDir The finished run's folder.
 * @param metrics Its flat metrics.
 * @param name The metric.
 * @returns `n` (and `sd` for rms_dist) to pass to the snapshot, or `{}`.
 */
export function cspSampleSize(
  runDir: string,
  metrics: Record<string, number | null>,
  name: string,
): { n?: number; sd?: number | null } {
  const m = /^(.+)\/csp\/n(\d+)\/(match_rate|rms_dist)$/.exec(name);
  if (!m) return {};
  const [, model, k, what] = m;
  if (what === "match_rate") {
    const n = metrics[`${model}/csp/n${k}/n`];
    return typeof n === "number" ? { n } : {};
  }
  const report = JSON.parse(Deno.readTextFileSync(join(runDir, "csp", model, "metrics", "benchmark.json"))) as {
    metrics: { n: number; n_matched: number; rms_dist_sd?: number | null }[];
  };
  const at = report.metrics.find((x) => x.n === Number(k));
  return at ? { n: at.n_matched, sd: at.rms_dist_sd ?? null } : {};
}
