/**
 * A sweep on Slurm: `sbatch --array` scripts for the shards and a merge job that waits for
 * them (`--dependency=afterok`). Array indices stop below `MaxArraySize` (the limit caps the
 * index, not the count), so shards are grouped by `index / MaxArraySize` and each group's
 * script adds its offset (`CRYSTALLM_SHARD_OFFSET`) to `SLURM_ARRAY_TASK_ID`. Job ids go
 * to `<run_dir>/slurm/jobs.json`.
 *
 * @module
 */
import { join } from "node:path";
import { REPO_ROOT } from "../core/paths.ts";
import { readTable, SweepError } from "./table.ts";
import { shardProblem } from "./shard.ts";
import { launcher } from "./local.ts";
import { readShardLock, shardLockStale } from "./lock.ts";

/** Slurm settings of a submission. */
export interface SlurmOptions {
  partition?: string;
  gpusPerTask?: number;
  time?: string;
  maxParallel?: number;
  dryRun?: boolean;
  /** A resubmission: the previous merge job is cancelled first. */
  resubmit?: boolean;
}

/** One `sbatch --array` job: shards `offset + task id`. */
export interface ArrayGroup {
  offset: number;
  /** The `--array` list, e.g. `0-4,7`. */
  array: string;
  shards: number[];
}

/** What `slurm/jobs.json` holds: every submission, newest last. */
export interface JobsFile {
  submissions: {
    submitted: string;
    options: Omit<SlurmOptions, "dryRun" | "resubmit">;
    arrays: (ArrayGroup & { job: string; script: string })[];
    merge: { job: string; script: string };
  }[];
}

/** The Slurm limit used when `scontrol` cannot tell (Slurm's default). */
export const DEFAULT_MAX_ARRAY_SIZE = 1001;

function run(cmd: string, args: string[]): { ok: boolean; code: number; out: string; err: string } {
  try {
    const r = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).outputSync();
    const dec = new TextDecoder();
    return { ok: r.success, code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr).trim() };
  } catch (e) {
    return { ok: false, code: 127, out: "", err: `${cmd}: ${(e as Error).message}` };
  }
}

/** `MaxArraySize` from `scontrol show config`, or null when `scontrol` does not answer. */
export function maxArraySize(): number | null {
  const r = run("scontrol", ["show", "config"]);
  if (!r.ok) return null;
  const m = /^\s*MaxArraySize\s*=\s*(\d+)/m.exec(r.out);
  return m ? Number(m[1]) : null;
}

/** `0-4,7,9-10` for sorted integers. */
export function compressRanges(xs: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < xs.length;) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    parts.push(i === j ? `${xs[i]}` : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/**
 * Group shard indices into array jobs whose task ids stay below `maxArraySize`.
 *
 * @param indices Shard indices.
 * @param maxArraySize Slurm's `MaxArraySize` (task ids 0 … max−1).
 * @returns One group per `index / maxArraySize`.
 */
export function arrayGroups(indices: number[], maxArraySize: number): ArrayGroup[] {
  const by = new Map<number, number[]>();
  for (const i of [...new Set(indices)].sort((a, b) => a - b)) {
    const off = Math.floor(i / maxArraySize) * maxArraySize;
    by.set(off, [...(by.get(off) ?? []), i]);
  }
  return [...by.entries()].map(([offset, shards]) => ({
    offset,
    shards,
    array: compressRanges(shards.map((i) => i - offset)),
  }));
}

/** A word quoted for the shell. */
export function shq(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

function header(runDir: string, opts: SlurmOptions, name: string, log: string): string[] {
  return [
    "#!/bin/bash",
    `#SBATCH --job-name=${name}`,
    `#SBATCH --output=${shq(join(runDir, "slurm", "logs", log))}`,
    "#SBATCH --ntasks=1",
    ...(opts.partition ? [`#SBATCH --partition=${opts.partition}`] : []),
    ...(opts.time ? [`#SBATCH --time=${opts.time}`] : []),
  ];
}

/** Where the scripts run the harness from: the bundle, or the checkout. */
function cwd(): string {
  return Deno.env.get("CRYSTALLM_BUNDLE") ?? REPO_ROOT;
}

/** The `sbatch` script of one array group. */
export function shardScript(runDir: string, experiment: string, g: ArrayGroup, opts: SlurmOptions): string {
  return [
    ...header(runDir, opts, `crystallm-${experiment}-shards`, "shard-%A_%a.out"),
    `#SBATCH --array=${g.array}${opts.maxParallel ? `%${opts.maxParallel}` : ""}`,
    ...(opts.gpusPerTask ? [`#SBATCH --gpus-per-task=${opts.gpusPerTask}`] : []),
    "set -eu",
    `# shards ${
      compressRanges(g.shards)
    }: Slurm caps task ids below MaxArraySize, so this job adds an offset`,
    `export CRYSTALLM_SHARD_OFFSET=${g.offset}`,
    `cd ${shq(cwd())}`,
    `exec ${launcher().map(shq).join(" ")} shard run ${
      shq(runDir)
    } "$((SLURM_ARRAY_TASK_ID + CRYSTALLM_SHARD_OFFSET))"`,
    "",
  ].join("\n");
}

/** The `sbatch` script of the merge job. */
export function mergeScript(runDir: string, experiment: string, opts: SlurmOptions): string {
  return [
    ...header(runDir, { ...opts }, `crystallm-${experiment}-merge`, "merge-%j.out"),
    "set -eu",
    `cd ${shq(cwd())}`,
    `exec ${launcher().map(shq).join(" ")} sweep merge ${shq(runDir)}`,
    "",
  ].join("\n");
}

function readJobs(runDir: string): JobsFile {
  try {
    return JSON.parse(Deno.readTextFileSync(join(runDir, "slurm", "jobs.json")));
  } catch {
    return { submissions: [] };
  }
}

/** The job id `sbatch --parsable` printed (`123` or `123;cluster`). */
function jobId(out: string): string {
  return out.trim().split(";")[0];
}

/**
 * Write the scripts and submit the shard arrays, then the merge job (afterok on all of them).
 * Every `sbatch` exit code is checked; when one fails, the jobs already submitted are
 * cancelled and nothing is recorded.
 *
 * @param runDir The sweep's run directory.
 * @param indices The shards to submit.
 * @param opts Partition, GPUs, time, parallelism, dry run.
 * @throws {SweepError} When `sbatch` fails or cannot be found.
 */
export async function submitSweep(runDir: string, indices: number[], opts: SlurmOptions): Promise<void> {
  const { info } = readTable(runDir);
  const jobs = readJobs(runDir);
  const last = jobs.submissions.at(-1);
  if (opts.resubmit && last) {
    opts = {
      ...last.options,
      ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
    };
  }
  let max = maxArraySize();
  if (max === null) {
    if (!opts.dryRun) {
      throw new SweepError(
        "scontrol show config did not answer: is this a Slurm login node? (--dry-run prints the scripts)",
      );
    }
    console.error(`scontrol did not answer: assuming MaxArraySize=${DEFAULT_MAX_ARRAY_SIZE}`);
    max = DEFAULT_MAX_ARRAY_SIZE;
  }
  const groups = arrayGroups(indices, max);
  const dir = join(runDir, "slurm");
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
  const scripts = groups.map((g, i) => ({
    g,
    path: join(dir, `shards-${stamp}-${i}.sbatch`),
    text: shardScript(runDir, info.experiment, g, opts),
  }));
  const merge = {
    path: join(dir, `merge-${stamp}.sbatch`),
    text: mergeScript(runDir, info.experiment, opts),
  };
  if (opts.dryRun) {
    for (const s of scripts) console.log(`# ${s.path} (sbatch --parsable ${s.path})\n${s.text}`);
    console.log(
      `# ${merge.path} (sbatch --parsable --dependency=afterok:<array job ids> ${merge.path})\n${merge.text}`,
    );
    return;
  }
  await Deno.mkdir(join(dir, "logs"), { recursive: true });
  for (const s of [...scripts, merge]) await Deno.writeTextFile(s.path, s.text);
  const submitted: (ArrayGroup & { job: string; script: string })[] = [];
  const sbatch = (args: string[], script: string): string => {
    const r = run("sbatch", ["--parsable", ...args, script]);
    if (!r.ok || !/^\d+/.test(r.out.trim())) {
      for (const s of submitted) run("scancel", [s.job]);
      throw new SweepError(
        `sbatch ${script} failed (exit ${r.code}): ${r.err || r.out.trim() || "no output"}` +
          (submitted.length
            ? `; cancelled the jobs it had submitted (${submitted.map((s) => s.job).join(", ")})`
            : ""),
      );
    }
    return jobId(r.out);
  };
  for (const s of scripts) submitted.push({ ...s.g, job: sbatch([], s.path), script: s.path });
  const mergeJob = sbatch([`--dependency=afterok:${submitted.map((s) => s.job).join(":")}`], merge.path);
  // a resubmission's merge job replaces the old one, which waits on jobs that failed
  if (opts.resubmit && last) run("scancel", [last.merge.job]);
  const { dryRun: _d, resubmit: _r, ...keep } = opts;
  jobs.submissions.push({
    submitted: new Date().toISOString(),
    options: keep,
    arrays: submitted,
    merge: { job: mergeJob, script: merge.path },
  });
  await Deno.writeTextFile(join(dir, "jobs.json"), JSON.stringify(jobs, null, 2) + "\n");
  for (const s of submitted) console.log(`submitted array job ${s.job} (shards ${compressRanges(s.shards)})`);
  console.log(`submitted merge job ${mergeJob} (afterok:${submitted.map((s) => s.job).join(":")})`);
  console.log(`job ids: ${join(dir, "jobs.json")}; progress: crystallm sweep status ${runDir}`);
}

/** A shard's state as `sweep status` shows it. */
export type ShardState = "done" | "running" | "pending" | "failed" | "missing";

/** Expand squeue's `123_[4-7,9%2]` or `123_4` to task ids. */
function taskIds(spec: string): number[] {
  const m = /^\[?([^\]%]*)/.exec(spec);
  if (!m) return [];
  return m[1].split(",").flatMap((p) => {
    const [a, b] = p.split("-").map(Number);
    if (!Number.isInteger(a)) return [];
    return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}

/**
 * Each shard's state: `done` from its marker; `running`/`pending` from a held lock or
 * `squeue`; `failed` from `sacct` (FAILED, CANCELLED, TIMEOUT, …) or a corrupt or stale
 * folder; else `missing`.
 *
 * @param runDir The sweep's run directory.
 * @returns Per-shard states, counts and a text table.
 */
export async function sweepStatus(runDir: string): Promise<{
  shards: { index: number; state: ShardState; why: string; job: string | null }[];
  counts: Record<ShardState, number>;
  merge: { job: string; state: string } | null;
  text: string;
}> {
  const { shards, spec } = readTable(runDir);
  const jobs = readJobs(runDir);
  // job id → offset, for every array ever submitted; later submissions win
  const arrays = jobs.submissions.flatMap((s) => s.arrays);
  const slurmState = new Map<number, { state: string; job: string }>();
  const queued = new Map<number, { state: string; job: string }>();
  if (arrays.length) {
    const ids = arrays.map((a) => a.job).join(",");
    const acct = run("sacct", ["-n", "-P", "-X", "-j", ids, "-o", "JobID,State"]);
    if (acct.ok) {
      for (const line of acct.out.split("\n").filter(Boolean)) {
        const [id, state] = line.split("|");
        const [job, task] = id.split("_");
        const a = arrays.find((x) => x.job === job);
        if (!a || task === undefined || task.startsWith("[")) continue;
        slurmState.set(a.offset + Number(task), { state: state.split(" ")[0], job: id });
      }
    }
    const q = run("squeue", ["-h", "-j", ids, "-o", "%i|%T"]);
    if (q.ok) {
      for (const line of q.out.split("\n").filter(Boolean)) {
        const [id, state] = line.split("|");
        const [job, task] = id.split("_");
        const a = arrays.find((x) => x.job === job);
        if (!a || task === undefined) continue;
        for (const t of taskIds(task)) queued.set(a.offset + t, { state, job: `${job}_${t}` });
      }
    }
  }
  const out = [];
  for (const s of shards) {
    const problem = await shardProblem(runDir, s, spec.sample.n);
    const lock = readShardLock(join(runDir, "shards", `${s.index}.lock`));
    const q = queued.get(s.index), acct = slurmState.get(s.index);
    let state: ShardState, why = "";
    if (problem === null) state = "done";
    else if (lock && !shardLockStale(lock)) [state, why] = ["running", `pid ${lock.pid} on ${lock.host}`];
    else if (q) [state, why] = [q.state === "PENDING" ? "pending" : "running", `squeue ${q.state}`];
    else if (acct && !/^(COMPLETED|PENDING|RUNNING)$/.test(acct.state)) {
      [state, why] = ["failed", `sacct ${acct.state}`];
    } else if (!problem.startsWith("not done")) [state, why] = ["failed", problem];
    else state = "missing";
    out.push({ index: s.index, state, why, job: q?.job ?? acct?.job ?? null });
  }
  const counts = { done: 0, running: 0, pending: 0, failed: 0, missing: 0 } as Record<ShardState, number>;
  for (const s of out) counts[s.state]++;
  let merge: { job: string; state: string } | null = null;
  const last = jobs.submissions.at(-1);
  if (last) {
    const q = run("squeue", ["-h", "-j", last.merge.job, "-o", "%T"]);
    const a = run("sacct", ["-n", "-P", "-X", "-j", last.merge.job, "-o", "State"]);
    const first = (r: { ok: boolean; out: string }) => r.ok ? r.out.trim().split("\n")[0].split(" ")[0] : "";
    merge = { job: last.merge.job, state: first(q) || first(a) || "not queued (no sacct to tell more)" };
  }
  const merged = await Deno.stat(join(runDir, "run.json")).then(() => true, () => false);
  const lines = [
    `${runDir}: ${shards.length} shards: ${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(", ")}` +
    (merge ? `; merge job ${merge.job} ${merge.state}` : "") + (merged ? "; merged (run.json)" : ""),
    ...out.filter((s) => s.state !== "done").map((s) =>
      `  shard ${s.index}: ${s.state}${s.why ? ` (${s.why})` : ""}${s.job ? ` job ${s.job}` : ""}`
    ),
  ];
  return { shards: out, counts, merge, text: lines.join("\n") };
}
