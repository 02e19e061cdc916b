/**
 * `crystallm run`, `crystallm audit` and `crystallm diff`: experiments as data,
 * rerun and checked against their golden snapshots.
 *
 * @module
 */
import { Command } from "commander";
import { join } from "node:path";
import { ExperimentError, loadExperiment } from "./experiment.ts";
import { RunError, runExperiment } from "./runner.ts";
import { REPO_ROOT } from "./repo.ts";
import { auditMetrics, formatAuditTable, makeSnapshot, type MetricKind, type Snapshot } from "../audit/snapshot.ts";
import { diffMetrics, formatDiffTable, readRunMetrics } from "../audit/diff.ts";
import { harnessCommit } from "./stage.ts";

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** Snapshot path of an experiment (and profile). */
export function snapshotPath(experiment: string, profile?: string): string {
  return join(REPO_ROOT, "snapshots", profile ? `${experiment}.${profile}.json` : `${experiment}.json`);
}

/** The kind of a summary metric, which sets its tolerance. */
export function metricKind(name: string): MetricKind {
  const m = name.split("/").pop()!;
  if (/^(formula_unique|sg_unique)(_mean)?$/.test(m)) return "count";
  if (/loss/.test(m)) return "loss";
  if (/^(n|n_parse_ok|n_valid|hits|n_unique)$/.test(m)) return "exact";
  return "rate";
}

async function runAndLoad(name: string, opts: { set: string[]; profile?: string; force?: boolean; out?: string }) {
  const { spec, resolved } = loadExperiment(name, { profile: opts.profile, sets: opts.set, root: REPO_ROOT });
  const result = await runExperiment(spec, { force: opts.force, sets: opts.set, profile: opts.profile, resolved, outRoot: opts.out });
  return { spec, result };
}

function fail(cmd: Command, e: unknown): never {
  if (e instanceof ExperimentError) cmd.error(e.message, { exitCode: 2 });
  console.error(e instanceof RunError ? `Run failed: ${e.message}` : (e as Error).stack ?? String(e));
  Deno.exit(1);
}

/** `crystallm run <experiment>`. */
export function runCommand(): Command {
  const cmd = new Command("run")
    .description("run an experiment (experiments/<name>.yaml): dataset → train → sample → postprocess → evaluate → summarize")
    .argument("<experiment>", "experiment name or YAML path")
    .option("--set <key=value>", "override a setting (repeatable), e.g. sample.n=50", collect, [])
    .option("--profile <name>", "apply a named override set from the YAML (e.g. ci)")
    .option("--force", "rerun stages even when unchanged", false)
    .option("--out <dir>", "output root ($CRYSTALLM_OUT or out/ of the checkout)", Deno.env.get("CRYSTALLM_OUT") ?? "out")
    .addHelpText("after", `
Examples:
  $ deno task crystallm run nacl10
  $ deno task crystallm run demo5 --set sample.n=50 --force`)
    .action(async (name: string, opts: { set: string[]; profile?: string; force: boolean; out: string }) => {
      try {
        const { result } = await runAndLoad(name, opts);
        console.log(await Deno.readTextFile(join(result.dir, "summary.md")));
        console.error(`wrote ${result.dir} in ${result.seconds.toFixed(1)} s`);
      } catch (e) {
        fail(cmd, e);
      }
    });
  return cmd;
}

/** `crystallm audit <experiment>`. */
export function auditCommand(): Command {
  const cmd = new Command("audit")
    .description("rerun an experiment (unchanged stages are skipped) and compare its metrics with snapshots/<experiment>.json")
    .argument("<experiment>", "experiment name or YAML path")
    .option("--set <key=value>", "override a setting (repeatable)", collect, [])
    .option("--profile <name>", "use a named override set and its snapshot snapshots/<experiment>.<profile>.json")
    .option("--force", "rerun every stage", false)
    .option("--out <dir>", "output root ($CRYSTALLM_OUT or out/ of the checkout)", Deno.env.get("CRYSTALLM_OUT") ?? "out")
    .option("--update", "rewrite the snapshot from this run (never in CI)", false)
    .addHelpText("after", `
Exit status: 0 when every metric is within tolerance, 1 on drift.
Examples:
  $ deno task crystallm audit nacl10
  $ deno task crystallm audit nacl10 --profile ci --update`)
    .action(async (name: string, opts: { set: string[]; profile?: string; force: boolean; out: string; update: boolean }) => {
      try {
        const { spec, result } = await runAndLoad(name, opts);
        const path = snapshotPath(spec.experiment, opts.profile);
        if (opts.update) {
          if (Deno.env.get("CI")) cmd.error("Refusing --update under CI: snapshots change only by a reviewed commit", { exitCode: 2 });
          const metrics: Record<string, { value: number; kind: MetricKind }> = {};
          for (const [k, v] of Object.entries(result.metrics)) if (v !== null) metrics[k] = { value: v, kind: metricKind(k) };
          const snap = makeSnapshot(spec.experiment, metrics, {
            seed: spec.sample.seed,
            n: spec.sample.n,
            provenance: { commit: harnessCommit(), date: new Date().toISOString(), profile: opts.profile ?? null, overrides: opts.set, deno: Deno.version.deno },
          });
          await Deno.mkdir(join(REPO_ROOT, "snapshots"), { recursive: true });
          await Deno.writeTextFile(path, JSON.stringify(snap, null, 2) + "\n");
          console.log(`wrote ${path}`);
          return;
        }
        let snap: Snapshot;
        try {
          snap = JSON.parse(await Deno.readTextFile(path));
        } catch {
          cmd.error(`Cannot read snapshot ${path}: create it with --update`, { exitCode: 2 });
        }
        const audit = auditMetrics(snap!, result.metrics);
        console.log(formatAuditTable(audit));
        console.log(audit.ok ? "audit: OK" : "audit: DRIFT beyond tolerance");
        if (!audit.ok) Deno.exit(1);
      } catch (e) {
        fail(cmd, e);
      }
    });
  return cmd;
}

/** `crystallm diff <runA> <runB>`. */
export function diffCommand(): Command {
  const cmd = new Command("diff")
    .description("metric differences between two runs (like dvc metrics diff)")
    .argument("<runA>", "run folder (out/<experiment>) or metrics.json")
    .argument("<runB>", "run folder or metrics.json")
    .option("--all", "also show unchanged metrics", false)
    .option("--json", "print JSON", false)
    .addHelpText("after", `
Examples:
  $ deno task crystallm diff out/demo5 out_old/demo5
  $ deno task crystallm diff out/nacl10/metrics.json snapshots_run/metrics.json --json`)
    .action((a: string, b: string, opts: { all: boolean; json: boolean }) => {
      try {
        const d = diffMetrics(readRunMetrics(a), readRunMetrics(b), opts.all);
        console.log(opts.json ? JSON.stringify(d, null, 2) : formatDiffTable(d, a, b));
      } catch (e) {
        cmd.error((e as Error).message, { exitCode: 2 });
      }
    });
  return cmd;
}
