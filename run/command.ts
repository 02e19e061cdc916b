/**
 * `crystallm run`, `crystallm audit` and `crystallm diff`: experiments as data,
 * rerun and checked against their golden snapshots.
 *
 * @module
 */
import { Command } from "commander";
import { dirname, join } from "node:path";
import { ExperimentError, loadExperiment } from "./experiment.ts";
import { RunError, runExperiment } from "./runner.ts";
import { REPO_ROOT } from "../core/paths.ts";
import {
  auditMetrics,
  formatAuditTable,
  headerMismatches,
  makeSnapshot,
  type MetricKind,
  parseSnapshot,
  type Snapshot,
  SnapshotError,
  snapshotPath,
} from "../audit/snapshot.ts";
import { ContainmentError } from "./paths.ts";
import { RunLockError } from "./lock.ts";
import { diffMetrics, formatDiffTable, readRunMetrics } from "../audit/diff.ts";
import { harnessCommit } from "./stage.ts";
import { cspSampleSize } from "./benchmark.ts";

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}


/** The kind of a summary metric, which sets its tolerance. */
export function metricKind(name: string): MetricKind {
  const m = name.split("/").pop()!;
  if (/\/csp\/n\d+\/rms_dist$/.test(name)) return "mean";
  if (/^(formula_unique|sg_unique)(_mean)?$/.test(m)) return "count";
  if (/loss/.test(m)) return "loss";
  if (/^(n|n_parse_ok|n_valid|hits|n_unique)$/.test(m)) return "exact";
  return "rate";
}

function load(name: string, opts: { set: string[]; profile?: string }) {
  return loadExperiment(name, { profile: opts.profile, sets: opts.set, root: REPO_ROOT });
}

async function runLoaded(
  loaded: ReturnType<typeof load>,
  opts: { set: string[]; profile?: string; force?: boolean; out?: string },
) {
  const { spec, resolved, file } = loaded;
  const result = await runExperiment(spec, { force: opts.force, sets: opts.set, profile: opts.profile, resolved, outRoot: opts.out, file });
  return { spec, result };
}

/**
 * Report a failure of run or audit: a config mistake exits 2, a failed run 1; anything
 * unexpected goes to the program's handler (one line, the stack with --debug).
 */
function fail(cmd: Command, e: unknown): never {
  if (e instanceof ExperimentError || e instanceof ContainmentError || e instanceof SnapshotError) {
    cmd.error(e.message, { exitCode: 2 });
  }
  if (e instanceof RunError || e instanceof RunLockError) {
    console.error(`Run failed: ${e.message}`);
    Deno.exit(1);
  }
  throw e;
}

function readSnapshotFile(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new SnapshotError(`Cannot read snapshot ${path}: ${(e as Error).message}`);
  }
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
        const { result } = await runLoaded(load(name, opts), opts);
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
    .option("--force", "rerun every stage; with --update, also replace a snapshot that cannot be parsed", false)
    .option("--out <dir>", "output root ($CRYSTALLM_OUT or out/ of the checkout)", Deno.env.get("CRYSTALLM_OUT") ?? "out")
    .option("--update", "rewrite the snapshot from this run (never in CI)", false)
    .option("--allow-new", "accept run metrics the snapshot does not hold (still listed as new)", false)
    .option("--snapshot <file>", "snapshot file to compare with or write (default snapshots/<experiment>[.<profile>].json)")
    .addHelpText("after", `
Exit status: 0 when every snapshot metric is there and within tolerance and no metric is new
(unless --allow-new); 1 on drift, a missing or new metric, or a snapshot recorded for another
run (experiment, n, seed, profile); 2 for a malformed experiment or snapshot.
Examples:
  $ deno task crystallm audit nacl10
  $ deno task crystallm audit nacl10 --profile ci --update`)
    .action(async (
      name: string,
      opts: { set: string[]; profile?: string; force: boolean; out: string; update: boolean; allowNew: boolean; snapshot?: string },
    ) => {
      try {
        const loaded = load(name, opts);
        const { spec } = loaded;
        const path = opts.snapshot ?? snapshotPath(spec.experiment, opts.profile);
        // the snapshot is checked before anything runs
        const text = readSnapshotFile(path);
        let snap: Snapshot | null = null;
        if (opts.update) {
          if (Deno.env.get("CI")) cmd.error("Refusing --update under CI: snapshots change only by a reviewed commit", { exitCode: 2 });
          if (text !== null && !opts.force) {
            try {
              parseSnapshot(text, path);
            } catch (e) {
              cmd.error(`${(e as Error).message}. Refusing to overwrite it: pass --force to replace it`, { exitCode: 2 });
            }
          }
        } else {
          if (text === null) {
            cmd.error(`Cannot read snapshot ${path}: no such file; record one with --update after reviewing a run`, { exitCode: 2 });
          }
          snap = parseSnapshot(text!, path);
          const mismatch = headerMismatches(snap, { experiment: spec.experiment, n: spec.sample.n, seed: spec.sample.seed, profile: opts.profile ?? null });
          if (mismatch.length) {
            console.log(`audit: FAIL: ${path} was recorded for another run (${mismatch.join("; ")})`);
            Deno.exit(1);
          }
        }
        const { result } = await runLoaded(loaded, opts);
        if (opts.update) {
          const metrics: Record<string, { value: number; kind: MetricKind; n?: number; sd?: number | null }> = {};
          for (const [k, v] of Object.entries(result.metrics)) {
            if (v !== null) metrics[k] = { value: v, kind: metricKind(k), ...cspSampleSize(result.dir, result.metrics, k) };
          }
          const snapshot = makeSnapshot(spec.experiment, metrics, {
            seed: spec.sample.seed,
            n: spec.sample.n,
            provenance: { commit: harnessCommit(), date: new Date().toISOString(), profile: opts.profile ?? null, overrides: opts.set, deno: Deno.version.deno },
          });
          await Deno.mkdir(dirname(path), { recursive: true });
          await Deno.writeTextFile(path, JSON.stringify(snapshot, null, 2) + "\n");
          console.log(`wrote ${path}`);
          return;
        }
        const audit = auditMetrics(snap!, result.metrics, { allowNew: opts.allowNew });
        console.log(formatAuditTable(audit));
        const missing = audit.lines.filter((l) => l.status === "missing").length;
        const added = audit.lines.filter((l) => l.status === "new").length;
        const drift = audit.lines.filter((l) => l.status === "DRIFT").length;
        if (audit.ok) console.log(`audit: OK${added ? ` (${added} new metrics allowed by --allow-new)` : ""}`);
        else {
          const why = [
            drift ? `${drift} DRIFT beyond tolerance` : "",
            missing ? `${missing} snapshot metrics missing from the run` : "",
            added && !opts.allowNew ? `${added} run metrics missing from the snapshot (new; --allow-new accepts them)` : "",
          ].filter(Boolean);
          console.log(`audit: FAIL: ${why.join(", ")}`);
          Deno.exit(1);
        }
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
      // an unfinished run has no current metrics: readRunMetrics says so
      try {
        const d = diffMetrics(readRunMetrics(a), readRunMetrics(b), opts.all);
        console.log(opts.json ? JSON.stringify(d, null, 2) : formatDiffTable(d, a, b));
      } catch (e) {
        cmd.error((e as Error).message, { exitCode: 2 });
      }
    });
  return cmd;
}
