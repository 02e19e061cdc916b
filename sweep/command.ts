/**
 * `crystallm sweep …` and `crystallm shard run`: an experiment cut into shards, run on this
 * machine (`--jobs`) or as Slurm job arrays (`--slurm`), merged into the result a single
 * `crystallm run` gives.
 *
 * @module
 */
import { Command } from "commander";
import { join, resolve } from "node:path";
import { ExperimentError } from "../run/experiment.ts";
import { RunError } from "../run/runner.ts";
import { ContainmentError } from "../run/paths.ts";
import { RunLockError } from "../run/lock.ts";
import { auditMetrics, formatAuditTable, parseSnapshot, SnapshotError, snapshotPath } from "../audit/snapshot.ts";
import { SweepError } from "./table.ts";
import { createSweep, mergeSweep, unfinishedShards } from "./sweep.ts";
import { runShard } from "./shard.ts";
import { runShardsLocally } from "./local.ts";
import { readTable } from "./table.ts";
import { type SlurmOptions, submitSweep, sweepStatus } from "./slurm.ts";

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** A config mistake exits 2; a sweep that cannot go on 1, with one line. */
function fail(cmd: Command, e: unknown): never {
  if (e instanceof ExperimentError || e instanceof ContainmentError || e instanceof SnapshotError) {
    cmd.error(e.message, { exitCode: 2 });
  }
  if (e instanceof SweepError || e instanceof RunError || e instanceof RunLockError) {
    console.error(`error: ${e.message}`);
    Deno.exit(1);
  }
  throw e;
}

function parseShards(cmd: Command, v: string): number | "auto" {
  if (v === "auto") return "auto";
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    cmd.error(`--shards must be a positive integer or auto, got ${v}`, { exitCode: 2 });
  }
  return n;
}

function positiveInt(cmd: Command, name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    cmd.error(`${name} must be a positive integer, got ${v}`, { exitCode: 2 });
  }
  return n;
}

/** Print the summary and, with `audit`, compare with the experiment's snapshot; the exit code. */
async function finishMerge(runDir: string, opts: { audit?: boolean; snapshot?: string }): Promise<number> {
  const result = await mergeSweep(runDir);
  console.log(await Deno.readTextFile(join(result.dir, "summary.md")));
  console.error(`merged ${result.dir}`);
  if (!opts.audit) return 0;
  const { info } = readTable(result.dir);
  const path = opts.snapshot ?? snapshotPath(info.experiment, info.profile ?? undefined);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    throw new SnapshotError(`Cannot read snapshot ${path}: no such file (--snapshot names another)`);
  }
  const audit = auditMetrics(parseSnapshot(text, path), result.metrics);
  console.log(formatAuditTable(audit));
  console.log(audit.ok ? "audit: OK" : "audit: FAIL");
  return audit.ok ? 0 : 1;
}

/** `crystallm sweep`. */
export function sweepCommand(): Command {
  const cmd = new Command("sweep")
    // options after merge/status/resubmit are theirs (`sweep resubmit <dir> --partition p`)
    .enablePositionalOptions()
    .description(
      "cut an experiment into shards (shards.jsonl), run them here (--jobs) or on Slurm (--slurm), merge",
    )
    .argument("<experiment>", "experiment name or YAML path")
    .option("--set <key=value>", "override a setting (repeatable)", collect, [])
    .option("--profile <name>", "apply a named override set from the YAML (e.g. ci)")
    .option(
      "--out <dir>",
      "output root ($CRYSTALLM_OUT or out/ of the checkout)",
      Deno.env.get("CRYSTALLM_OUT") ?? "out",
    )
    .option("--shards <n>", "number of shards, or auto (one per model × prompt × temperature)", "auto")
    .option("--jobs <j>", "run the shards here with J workers (one GPU each with CUDA), then merge")
    .option("--slurm", "submit the shards as sbatch --array jobs and a merge job (afterok)", false)
    .option("--partition <p>", "Slurm partition")
    .option("--gpus-per-task <g>", "GPUs per shard task (Slurm)")
    .option("--time <t>", "time limit per shard task, e.g. 01:00:00 (Slurm)")
    .option("--max-parallel <k>", "at most k shard tasks at once (Slurm: --array …%k)")
    .option("--dry-run", "with --slurm: print the scripts and the sbatch commands, submit nothing", false)
    .addHelpText(
      "after",
      `
Examples:
  $ deno task crystallm sweep nacl10 --profile ci --shards 3 --jobs 2
  $ deno task crystallm sweep demo6 --shards auto --slurm --partition gpu --gpus-per-task 1 --time 02:00:00
  $ deno task crystallm sweep status out/demo6
  $ deno task crystallm sweep resubmit out/demo6
  $ deno task crystallm sweep merge out/demo6 --audit`,
    )
    .action(async (name: string, opts: {
      set: string[];
      profile?: string;
      out: string;
      shards: string;
      jobs?: string;
      slurm: boolean;
      partition?: string;
      gpusPerTask?: string;
      time?: string;
      maxParallel?: string;
      dryRun: boolean;
    }) => {
      try {
        const shards = parseShards(cmd, opts.shards);
        const jobs = positiveInt(cmd, "--jobs", opts.jobs);
        const maxParallel = positiveInt(cmd, "--max-parallel", opts.maxParallel);
        const gpus = positiveInt(cmd, "--gpus-per-task", opts.gpusPerTask);
        if (opts.slurm && jobs !== undefined) {
          cmd.error("--jobs runs shards here and --slurm on the cluster: give one", { exitCode: 2 });
        }
        if (opts.dryRun && !opts.slurm) cmd.error("--dry-run goes with --slurm", { exitCode: 2 });
        const sw = await createSweep(name, {
          sets: opts.set,
          profile: opts.profile,
          out: opts.out,
          shards,
          atLeast: jobs ?? maxParallel ?? 1,
        });
        console.error(
          `${sw.created ? "wrote" : "kept"} ${sw.shards.length} shards in ${join(sw.runDir, "shards.jsonl")}`,
        );
        if (jobs !== undefined) {
          const pending = (await unfinishedShards(sw.runDir, sw.shards, sw.spec.sample.n)).map((x) =>
            x.shard.index
          );
          const failed = await runShardsLocally(sw.runDir, pending, {
            jobs,
            cuda: sw.spec.sample.device === "cuda",
          });
          if (failed.length) {
            throw new SweepError(
              `shards ${failed.map((f) => f.index).join(", ")} failed; rerun the same command to retry them`,
            );
          }
          Deno.exit(await finishMerge(sw.runDir, {}));
        }
        if (opts.slurm) {
          const slurm: SlurmOptions = {
            partition: opts.partition,
            gpusPerTask: gpus,
            time: opts.time,
            maxParallel,
            dryRun: opts.dryRun,
          };
          const pending = (await unfinishedShards(sw.runDir, sw.shards, sw.spec.sample.n)).map((x) =>
            x.shard.index
          );
          await submitSweep(sw.runDir, pending, slurm);
          return;
        }
        console.log(`run each shard (any machine that sees ${sw.runDir}):`);
        console.log(`  crystallm shard run ${sw.runDir} <index>    # index 0 … ${sw.shards.length - 1}`);
        console.log(`then: crystallm sweep merge ${sw.runDir}`);
      } catch (e) {
        fail(cmd, e);
      }
    });
  const merge = new Command("merge")
    .description("check that every shard is done, then postprocess, evaluate and summarize as run does")
    .argument("<run_dir>", "the sweep's run directory (<out>/<experiment>)")
    .option("--audit", "compare the metrics with the experiment's snapshot", false)
    .option("--snapshot <file>", "snapshot to compare with (default snapshots/<experiment>[.<profile>].json)")
    .action(async (runDir: string, opts: { audit: boolean; snapshot?: string }) => {
      try {
        Deno.exit(await finishMerge(runDir, opts));
      } catch (e) {
        fail(merge, e);
      }
    });
  const status = new Command("status")
    .description("done, running, failed and missing shards (DONE markers, locks, sacct/squeue where present)")
    .argument("<run_dir>", "the sweep's run directory")
    .option("--json", "print JSON", false)
    .action(async (runDir: string, opts: { json: boolean }) => {
      try {
        const s = await sweepStatus(resolve(runDir));
        if (opts.json) console.log(JSON.stringify(s, null, 2));
        else console.log(s.text);
      } catch (e) {
        fail(status, e);
      }
    });
  const resubmit = new Command("resubmit")
    .description(
      "submit again only the shards that are not done and not queued or running, and a new merge job",
    )
    .argument("<run_dir>", "the sweep's run directory")
    .option("--partition <p>", "Slurm partition (default: as first submitted)")
    .option("--gpus-per-task <g>", "GPUs per shard task")
    .option("--time <t>", "time limit per shard task")
    .option("--max-parallel <k>", "at most k shard tasks at once")
    .option("--dry-run", "print the scripts, submit nothing", false)
    .action(
      async (
        runDir: string,
        opts: {
          partition?: string;
          gpusPerTask?: string;
          time?: string;
          maxParallel?: string;
          dryRun: boolean;
        },
      ) => {
        try {
          // commander hands options that `sweep` itself also has (--partition, --dry-run, …) to
          // `sweep` when the root program reorders them: take them from there too
          const given = Object.entries(opts).filter(([, v]) => v !== undefined && v !== false);
          opts = { ...(cmd.opts() as typeof opts), ...Object.fromEntries(given) };
          const dir = resolve(runDir);
          const st = await sweepStatus(dir);
          const todo = st.shards.filter((s) =>
            s.state !== "done" && s.state !== "running" && s.state !== "pending"
          )
            .map((s) => s.index);
          if (!todo.length) {
            console.log(
              `nothing to resubmit: ${st.counts.done} done, ${
                st.counts.running + st.counts.pending
              } queued or running`,
            );
            return;
          }
          await submitSweep(dir, todo, {
            partition: opts.partition,
            gpusPerTask: positiveInt(resubmit, "--gpus-per-task", opts.gpusPerTask),
            time: opts.time,
            maxParallel: positiveInt(resubmit, "--max-parallel", opts.maxParallel),
            dryRun: opts.dryRun,
            resubmit: true,
          });
        } catch (e) {
          fail(resubmit, e);
        }
      },
    );
  cmd.addCommand(merge).addCommand(status).addCommand(resubmit);
  return cmd;
}

/** `crystallm shard run <run_dir> <index>`. */
export function shardCommand(): Command {
  const cmd = new Command("shard").description("one shard of a sweep");
  const run = new Command("run")
    .description(
      "run one shard (idempotent: a done shard is skipped; a second run at once waits for the first)",
    )
    .argument("<run_dir>", "the sweep's run directory")
    .argument("<index>", "the shard's index in shards.jsonl (0-based)")
    .action(async (runDir: string, index: string) => {
      try {
        const i = Number(index);
        if (!/^\d+$/.test(index)) run.error(`<index> must be an integer >= 0, got ${index}`, { exitCode: 2 });
        await runShard(resolve(runDir), i);
      } catch (e) {
        fail(run, e);
      }
    });
  cmd.addCommand(run);
  return cmd;
}
