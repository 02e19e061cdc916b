/**
 * `crystallm shard run <run_dir> <index>`: one shard of a sweep. It samples into a fresh
 * temporary folder beside its final one and renames it into place with its `DONE` marker
 * inside, so a killed or requeued shard leaves nothing that counts and starts clean; a lock
 * makes a second run wait and then find it done. It writes only `shards/<index>`, its
 * temporary folders and its lock.
 *
 * @module
 */
import { join } from "node:path";
import { hostname } from "node:os";
import { hashFile } from "../core/hash.ts";
import { generate } from "../sample/generate.ts";
import { generateCompositions } from "../csp/benchmark.ts";
import {
  assertSameCode,
  cellKey,
  describeShard,
  readTable,
  type Shard,
  SweepError,
  type SweepInfo,
} from "./table.ts";
import { takeShardLock } from "./lock.ts";

/** What a shard's `DONE` marker holds. */
export interface DoneMarker {
  index: number;
  fingerprint: string;
  /** `<model>/<prompt>/t<T>/sample_<k>.cif` → sha256. */
  files: Record<string, string>;
  /** Per unit: its generate manifest's checkpoint hash, tokens and seconds. */
  units: {
    cell: string;
    checkpoint_sha256: string;
    new_tokens: number;
    seconds: number;
    device: unknown;
    engine: string;
  }[];
  host: string;
  slurm_job: string | null;
  seconds: number;
  finished: string;
}

/** A shard's final folder. */
export function shardDir(runDir: string, index: number): string {
  return join(runDir, "shards", String(index));
}

/** The sample files a shard must leave, relative to its folder. */
export function expectedFiles(shard: Shard, n: number): string[] {
  return shard.units.flatMap((u) =>
    u.benchmark
      ? u.benchmark.ids.flatMap((id) =>
        Array.from({ length: n }, (_, k) => join(cellKey(u), `${id}__${k + 1}.cif`))
      )
      : Array.from({ length: u.end - u.start }, (_, i) => join(cellKey(u), `sample_${u.start + i + 1}.cif`))
  );
}

/**
 * Why a shard does not count as done, or null when it does: its `DONE` marker is there, holds
 * the shard's fingerprint, and every sample file is there with the hash the marker records.
 *
 * @param runDir The run directory.
 * @param shard The shard.
 * @returns A reason (missing, stale, corrupt), or null.
 */
export async function shardProblem(runDir: string, shard: Shard, n: number): Promise<string | null> {
  const dir = shardDir(runDir, shard.index);
  let done: DoneMarker;
  try {
    done = JSON.parse(await Deno.readTextFile(join(dir, "DONE")));
  } catch (e) {
    return e instanceof Deno.errors.NotFound ? "not done (no DONE marker)" : "corrupt DONE marker";
  }
  if (done.fingerprint !== shard.fingerprint) return "stale (its DONE marker holds another fingerprint)";
  for (const f of expectedFiles(shard, n)) {
    const want = done.files?.[f];
    if (!want) return `corrupt: DONE does not list ${f}`;
    let have: string;
    try {
      have = await hashFile(join(dir, f));
    } catch {
      return `corrupt: ${f} is missing`;
    }
    if (have !== want) return `corrupt: ${f} differs from the sha256 its DONE marker records`;
  }
  return null;
}

/**
 * Run one shard unless it is done.
 *
 * @param runDir The sweep's run directory.
 * @param index The shard's index (a line of `shards.jsonl`).
 * @param options `log` for progress lines.
 * @returns Whether it ran or was already done.
 * @throws {SweepError} For an index outside the table, changed code or a changed checkpoint.
 */
export async function runShard(
  runDir: string,
  index: number,
  options: { log?: (l: string) => void } = {},
): Promise<{ ran: boolean; seconds: number }> {
  const log = options.log ?? ((l: string) => console.error(l));
  const { info, shards, spec } = readTable(runDir);
  if (!Number.isInteger(index) || index < 0 || index >= shards.length) {
    throw new SweepError(
      `shard index ${index} is outside the table: ${runDir} has shards 0 to ${shards.length - 1}`,
    );
  }
  const shard = shards[index];
  if ((await shardProblem(runDir, shard, spec.sample.n)) === null) {
    log(`[shard ${index}] already done`);
    return { ran: false, seconds: 0 };
  }
  assertSameCode(info);
  const base = join(runDir, "shards");
  await Deno.mkdir(base, { recursive: true });
  const release = await takeShardLock(join(base, `${index}.lock`), { log });
  try {
    // another run may have finished it while this one waited for the lock
    if ((await shardProblem(runDir, shard, spec.sample.n)) === null) {
      log(`[shard ${index}] already done`);
      return { ran: false, seconds: 0 };
    }
    // what a killed run left: its temporary folder, or a final folder that does not count
    for (const e of Deno.readDirSync(base)) {
      if (e.name.startsWith(`.tmp-${index}-`)) await Deno.remove(join(base, e.name), { recursive: true });
    }
    const final = shardDir(runDir, index);
    await Deno.remove(final, { recursive: true }).catch(() => {});
    const tmp = join(base, `.tmp-${index}-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`);
    const t0 = performance.now();
    log(`[shard ${index}] sampling ${describeShard(shard)}`);
    const done = await sampleUnits(info, shard, tmp, runDir);
    done.seconds = (performance.now() - t0) / 1000;
    await Deno.writeTextFile(join(tmp, "DONE"), JSON.stringify(done, null, 2) + "\n");
    await Deno.rename(tmp, final);
    log(`[shard ${index}] done in ${done.seconds.toFixed(1)} s`);
    return { ran: true, seconds: done.seconds };
  } finally {
    release();
  }
}

async function sampleUnits(info: SweepInfo, shard: Shard, tmp: string, runDir: string): Promise<DoneMarker> {
  const { spec } = readTable(runDir);
  const files: Record<string, string> = {};
  const units: DoneMarker["units"] = [];
  const checked = new Set<string>();
  for (const u of shard.units) {
    const ck = info.checkpoints[u.model];
    if (!checked.has(u.model)) {
      const have = await hashFile(ck.path).catch(() => "missing");
      if (have !== ck.sha256) {
        throw new SweepError(
          `model ${u.model}: ${ck.path} is not the checkpoint the sweep was made with (sha256 ${
            have.slice(0, 12)
          } ≠ ${ck.sha256.slice(0, 12)}); make a new sweep`,
        );
      }
      checked.add(u.model);
    }
    const out = join(tmp, cellKey(u));
    if (u.benchmark) {
      // a block of CSP test compositions: all generations of each, as the run's csp stage makes them
      await Deno.mkdir(out, { recursive: true });
      let tokens = 0, seconds = 0;
      const items = u.benchmark.ids.map((id, i) => ({ id, prompt: u.benchmark!.prompts[i] }));
      await generateCompositions(spec.sample, ck.path, items, out, async (_done, _total, r) => {
        for (const f of r.files) files[join(cellKey(u), f)] = await hashFile(join(out, f));
        tokens += r.tokens;
        seconds += r.seconds;
      });
      units.push({
        cell: cellKey(u),
        checkpoint_sha256: ck.sha256,
        new_tokens: tokens,
        seconds,
        device: null,
        engine: "libtorch",
      });
      continue;
    }
    const sampling = {
      prompt: u.prompt,
      out,
      num_samples: u.end - u.start,
      first_sample: u.start,
      max_new_tokens: spec.sample.max_new_tokens,
      temperature: u.temperature,
      top_k: spec.sample.top_k,
      seed: spec.sample.seed,
      batch: spec.sample.batch,
    };
    let r;
    let engine = "libtorch";
    if (spec.models[u.model].engine === "onnx") {
      const { generateOnnx } = await import("../sample/onnx_engine.ts");
      r = await generateOnnx({ ...sampling, model: join(runDir, "export", u.model, "model.onnx") });
      engine = "onnx";
    } else {
      r = await generate({
        ...sampling,
        ckpt: ck.path,
        device: spec.sample.device,
        ...(spec.sample.dtype ? { dtype: spec.sample.dtype } : {}),
      });
    }
    for (const f of r.files) files[join(cellKey(u), f)] = await hashFile(join(out, f));
    units.push({
      cell: cellKey(u),
      checkpoint_sha256: r.manifest.checkpoint.sha256,
      new_tokens: r.tokens.reduce((a, b) => a + b, 0),
      seconds: r.seconds,
      device: r.device_info,
      engine,
    });
  }
  return {
    index: shard.index,
    fingerprint: shard.fingerprint,
    files,
    units,
    host: hostname(),
    slurm_job: Deno.env.get("SLURM_JOB_ID") ?? null,
    seconds: 0,
    finished: new Date().toISOString(),
  };
}
