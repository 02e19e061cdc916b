/**
 * A sweep's shard table: the sample cells of an experiment (model × prompt × temperature, each
 * with `sample.n` samples) cut into N contiguous sample ranges. `sweep.json` records the
 * experiment as resolved, its fingerprint and the checkpoints the shards sample from;
 * `shards.jsonl` holds one line per shard. Both are written once and never changed.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { canonicalJson, sha256 } from "../core/hash.ts";
import { codeVersion } from "../run/stage.ts";
import { type ExperimentSpec, promptSlug, promptText, resolveExperiment } from "../run/experiment.ts";
import { writeFileAtomic } from "../checkpoint/write_checkpoint.ts";

/** Thrown for a sweep that cannot go on (a missing table, an unfinished shard, changed code). */
export class SweepError extends Error {
  override name = "SweepError";
}

/** The code a shard runs: a change to it makes a sweep's samples stale. */
export const SAMPLE_CODE = ["sample/generate.ts", "sample/onnx_engine.ts", "csp/benchmark.ts"];

/**
 * One sample cell's range of samples, `[start, end)` (0-based; file `sample_<k+1>.cif`); or, in a
 * CSP benchmark experiment, a block of test compositions (`benchmark`: their ids and prompts,
 * `start`/`end` their positions in the test list), each with all `sample.n` generations.
 */
export interface ShardUnit {
  model: string;
  prompt: string;
  temperature: number;
  start: number;
  end: number;
  benchmark?: { ids: string[]; prompts: string[] };
}

/** A line of `shards.jsonl`. */
export interface Shard {
  index: number;
  /** The experiment's fingerprint (as `sweep.json` records it). */
  experiment_fingerprint: string;
  /** This shard's fingerprint: the experiment's and its units; its `DONE` marker must hold it. */
  fingerprint: string;
  units: ShardUnit[];
}

/** What `sweep.json` records. */
export interface SweepInfo {
  experiment: string;
  /** The experiment file (absolute). */
  file: string;
  profile: string | null;
  sets: string[];
  /** The experiment after profile and overrides, as `config.resolved.yaml` holds it. */
  resolved: Record<string, unknown>;
  fingerprint: string;
  code_version: string;
  /** Checkpoint per model, as the models stage left them. */
  checkpoints: Record<string, { path: string; sha256: string }>;
  shards: number;
  created: string;
}

/** The folder of a cell inside a shard folder: `<model>/<prompt slug>/t<T>`. */
export function cellKey(
  u: { model: string; prompt: string; temperature: number; benchmark?: unknown },
): string {
  if (u.benchmark) return join(u.model, "csp");
  return join(u.model, promptSlug(u.prompt), `t${u.temperature}`);
}

/** The sample cells of an experiment in the order the runner samples them. */
export function sampleCells(spec: ExperimentSpec): { model: string; prompt: string; temperature: number }[] {
  const out = [];
  for (const model of Object.keys(spec.models)) {
    for (const prompt of spec.prompts) {
      for (const t of spec.sample.temperatures ?? [null]) {
        out.push({ model, prompt: promptText(prompt), temperature: t ?? spec.sample.temperature });
      }
    }
  }
  return out;
}

/**
 * The experiment's fingerprint: its resolved settings, the checkpoints' hashes and the code
 * that samples. Two sweeps with equal fingerprints draw the same samples.
 */
export function experimentFingerprint(
  resolved: Record<string, unknown>,
  checkpoints: Record<string, { sha256: string }>,
  code: string,
): string {
  const ck = Object.fromEntries(Object.entries(checkpoints).map(([k, v]) => [k, v.sha256]));
  return sha256(canonicalJson({ resolved, checkpoints: ck, code }));
}

/** The number of shards `auto` gives: one per sample cell, at least `atLeast`. */
export function autoShards(spec: ExperimentSpec, atLeast = 1, benchmarkItems = 0): number {
  if (spec.benchmark) {
    const models = Object.keys(spec.models).length;
    return Math.min(models * benchmarkItems, Math.max(models, atLeast));
  }
  const cells = sampleCells(spec).length;
  return Math.min(cells * spec.sample.n, Math.max(cells, atLeast));
}

/**
 * Cut a CSP benchmark's test compositions (per model, in test order) into `n` contiguous
 * blocks; every composition keeps all its generations in one shard.
 */
function planBenchmarkShards(
  spec: ExperimentSpec,
  n: number,
  experimentFp: string,
  items: { id: string; prompt: string }[],
): Shard[] {
  const models = Object.keys(spec.models);
  const total = models.length * items.length;
  if (!Number.isInteger(n) || n < 1 || n > total) {
    throw new SweepError(
      `--shards must be an integer from 1 to ${total} (models × test compositions), got ${n}`,
    );
  }
  const per = items.length;
  const shards: Shard[] = [];
  for (let i = 0; i < n; i++) {
    const lo = Math.floor((i * total) / n), hi = Math.floor(((i + 1) * total) / n);
    const units: ShardUnit[] = [];
    for (let m = Math.floor(lo / per); m * per < hi; m++) {
      const start = Math.max(lo, m * per) - m * per, end = Math.min(hi, (m + 1) * per) - m * per;
      if (end <= start) continue;
      const block = items.slice(start, end);
      units.push({
        model: models[m],
        prompt: "",
        temperature: spec.sample.temperature,
        start,
        end,
        benchmark: { ids: block.map((x) => x.id), prompts: block.map((x) => x.prompt) },
      });
    }
    const fingerprint = sha256(canonicalJson({ experiment: experimentFp, units }));
    shards.push({ index: i, experiment_fingerprint: experimentFp, fingerprint, units });
  }
  return shards;
}

/**
 * Cut the experiment's samples (cell after cell) into `n` contiguous ranges of near-equal size.
 *
 * @param spec The experiment.
 * @param n Number of shards, 1 … total samples.
 * @param experimentFp The experiment's fingerprint.
 * @returns The shard table.
 */
export function planShards(
  spec: ExperimentSpec,
  n: number,
  experimentFp: string,
  benchmarkItems?: { id: string; prompt: string }[],
): Shard[] {
  if (spec.benchmark) return planBenchmarkShards(spec, n, experimentFp, benchmarkItems ?? []);
  const cells = sampleCells(spec);
  const per = spec.sample.n;
  const total = cells.length * per;
  if (!Number.isInteger(n) || n < 1 || n > total) {
    throw new SweepError(
      `--shards must be an integer from 1 to ${total} (the experiment's samples), got ${n}`,
    );
  }
  const shards: Shard[] = [];
  for (let i = 0; i < n; i++) {
    const lo = Math.floor((i * total) / n), hi = Math.floor(((i + 1) * total) / n);
    const units: ShardUnit[] = [];
    for (let c = Math.floor(lo / per); c * per < hi; c++) {
      const start = Math.max(lo, c * per) - c * per, end = Math.min(hi, (c + 1) * per) - c * per;
      if (end > start) units.push({ ...cells[c], start, end });
    }
    const fingerprint = sha256(canonicalJson({ experiment: experimentFp, units }));
    shards.push({ index: i, experiment_fingerprint: experimentFp, fingerprint, units });
  }
  return shards;
}

/** `sweep.json` and `shards.jsonl` of a run directory. */
export function tablePaths(runDir: string): { info: string; shards: string } {
  return { info: join(runDir, "sweep.json"), shards: join(runDir, "shards.jsonl") };
}

/**
 * Write the table once. An existing table with the same fingerprint and shard count is kept
 * (the sweep command can be rerun); any other is refused.
 *
 * @returns Whether the table was written now.
 * @throws {SweepError} When the run directory holds another sweep's table.
 */
export async function writeTable(runDir: string, info: SweepInfo, shards: Shard[]): Promise<boolean> {
  const p = tablePaths(runDir);
  let old: SweepInfo | null = null;
  try {
    old = JSON.parse(await Deno.readTextFile(p.info));
  } catch { /* none yet */ }
  if (old) {
    if (old.fingerprint === info.fingerprint && old.shards === info.shards) return false;
    throw new SweepError(
      `${runDir} already holds a sweep (fingerprint ${old.fingerprint.slice(0, 12)}, ${old.shards} shards) ` +
        `other than this one (${info.fingerprint.slice(0, 12)}, ${info.shards} shards): its shard table is ` +
        `immutable; use another --out, or delete ${p.info}, ${p.shards} and ${join(runDir, "shards")}`,
    );
  }
  const enc = new TextEncoder();
  await writeFileAtomic(p.shards, enc.encode(shards.map((s) => JSON.stringify(s)).join("\n") + "\n"));
  await Deno.chmod(p.shards, 0o444).catch(() => {});
  // sweep.json last: it marks the table complete
  await writeFileAtomic(p.info, enc.encode(JSON.stringify(info, null, 2) + "\n"));
  await Deno.chmod(p.info, 0o444).catch(() => {});
  return true;
}

/**
 * Read a run directory's table and check it against itself (every line carries the
 * experiment's fingerprint and the fingerprint of its units).
 *
 * @throws {SweepError} For a run directory without a table, or a table that was changed.
 */
export function readTable(runDir: string): { info: SweepInfo; shards: Shard[]; spec: ExperimentSpec } {
  const p = tablePaths(runDir);
  let info: SweepInfo;
  try {
    info = JSON.parse(Deno.readTextFileSync(p.info));
  } catch {
    throw new SweepError(
      `Cannot read ${p.info}: ${
        resolve(runDir)
      } is not a sweep's run directory (crystallm sweep <experiment> makes one)`,
    );
  }
  let shards: Shard[];
  try {
    shards = Deno.readTextFileSync(p.shards).split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
  } catch (e) {
    throw new SweepError(`Cannot read ${p.shards}: ${(e as Error).message}`);
  }
  if (shards.length !== info.shards) {
    throw new SweepError(
      `${p.shards} has ${shards.length} lines, but sweep.json records ${info.shards} shards`,
    );
  }
  shards.forEach((s, i) => {
    const fp = sha256(canonicalJson({ experiment: info.fingerprint, units: s.units }));
    if (s.index !== i || s.experiment_fingerprint !== info.fingerprint || s.fingerprint !== fp) {
      throw new SweepError(
        `${p.shards}: line ${i + 1} does not match the sweep's fingerprint (the table was edited)`,
      );
    }
  });
  const spec = resolveExperiment(structuredClone(info.resolved), info.file);
  return { info, shards, spec };
}

/**
 * Check that the code that samples is the code the sweep was made with.
 *
 * @throws {SweepError} When it changed since.
 */
export function assertSameCode(info: SweepInfo): void {
  const now = codeVersion(SAMPLE_CODE);
  if (now !== info.code_version) {
    throw new SweepError(
      `the sampling code changed since this sweep was made (code ${now.slice(0, 12)} ≠ ${
        info.code_version.slice(0, 12)
      }): its shards would mix two versions; make a new sweep with another --out`,
    );
  }
}

/** `model/prompt/tT samples a-b` for messages (1-based, inclusive, as the file names). */
export function describeShard(s: Shard): string {
  return s.units.map((u) =>
    u.benchmark
      ? `${cellKey(u)} test compositions ${u.start + 1}-${u.end}`
      : `${cellKey(u)} samples ${u.start + 1}-${u.end}`
  ).join(", ");
}
