/**
 * Sweeps through a real single-node Slurm (tests/slurm.ts starts it; skipped, saying why, where
 * it cannot be started). MaxArraySize is 4, so five or more shards are split into two arrays.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { crystallm } from "../tests/cli.ts";
import { slurmUnavailable, squeue, startSlurm } from "../tests/slurm.ts";
import type { JobsFile } from "./slurm.ts";
import { assertSameRun, seedStages } from "./_test_utils.ts";

const why = slurmUnavailable();
if (why) console.log(`sweep/slurm_test.ts skipped: ${why}`);

const read = (p: string) => Deno.readTextFileSync(p);
const jobsOf = (dir: string): JobsFile => JSON.parse(read(join(dir, "slurm", "jobs.json")));

async function until(what: string, ok: () => boolean, seconds = 180): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > seconds * 1000) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test({
  name:
    "Slurm: demo6 ci as 7 shards in two sbatch arrays (MaxArraySize 4) and an afterok merge job equals crystallm run",
  ignore: why !== null,
  sanitizeResources: false,
  fn: async () => {
    const slurm = await startSlurm({ maxArraySize: 4 });
    const tmp = await Deno.makeTempDir({ prefix: "sweep_slurm_" });
    try {
      const local = join(tmp, "local"), out = join(tmp, "sweep"), dir = join(out, "demo6");
      // demo6 samples demo5's finetuned models; demo5 trains on nacl10's dataset
      // (demo5 reads only nacl10's dataset stage, so nacl10's own model trains for one step)
      const quick = [
        "--set",
        "models.nacl10.train.max_iters=1",
        "--set",
        "models.nacl10.train.eval_interval=1",
      ];
      for (const e of ["nacl10", "demo5", "demo6"]) {
        const r = await crystallm([
          "run",
          e,
          "--profile",
          "ci",
          "--out",
          local,
          ...(e === "nacl10" ? quick : []),
        ]);
        assert.equal(r.code, 0, `${e}: ${r.stderr}`);
      }
      // the sweep's run: inputs (demo5's checkpoints) in its own output root
      await seedStages(join(local, "demo5"), join(out, "demo5"), ["train"]);
      const args = ["sweep", "demo6", "--profile", "ci", "--out", out, "--shards", "7", "--slurm"];
      const dry = await crystallm([...args, "--dry-run"], slurm.env);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /#SBATCH --array=0-3\n[\s\S]*CRYSTALLM_SHARD_OFFSET=0\n/);
      assert.match(dry.stdout, /#SBATCH --array=0-2\n[\s\S]*CRYSTALLM_SHARD_OFFSET=4\n/);
      assert.match(dry.stdout, /--dependency=afterok:<array job ids>/);
      assert.deepEqual(squeue(slurm.env), [], "a dry run submits nothing");
      await Deno.stat(join(dir, "slurm", "jobs.json")).then(
        () => assert.fail("a dry run records no jobs"),
        () => {},
      );
      const t0 = performance.now();
      const s = await crystallm([...args, "--time", "00:10:00"], slurm.env);
      assert.equal(s.code, 0, s.stderr);
      const jobs = jobsOf(dir).submissions;
      assert.equal(jobs.length, 1);
      assert.deepEqual(jobs[0].arrays.map((a) => [a.offset, a.array]), [[0, "0-3"], [4, "0-2"]]);
      assert.match(
        s.stdout,
        new RegExp(
          `submitted merge job ${jobs[0].merge.job} \\(afterok:${
            jobs[0].arrays.map((a) => a.job).join(":")
          }\\)`,
        ),
      );
      await until("the shard and merge jobs", () => squeue(slurm.env).length === 0);
      console.log(
        `demo6 ci through Slurm: ${((performance.now() - t0) / 1000).toFixed(1)} s from submission to merged`,
      );
      assert.match(read(join(dir, "slurm", "logs", `merge-${jobs[0].merge.job}.out`)), /merged /);
      const cells = ["baseline", "nacl_ft", "mix154_ft"].flatMap((m) =>
        ["Na2Cl2", "Al4O6", "Ba1Ti1O3", "Li4Fe4P4O16", "Mg4O4", "Si3O6", "Ti2O4", "Ca1Ti1O3"].map((p) =>
          `${m}/${p}/t1`
        )
      );
      assertSameRun(join(local, "demo6"), dir, cells.map((c) => `sample/${c}/raw`));
      const st = await crystallm(["sweep", "status", dir], slurm.env);
      assert.match(
        st.stdout,
        /7 shards: 7 done, 0 running, 0 pending, 0 failed, 0 missing.*merged \(run\.json\)/,
      );
    } finally {
      await slurm.stop();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "Slurm: csp-perov5 ci in 6 blocks; scancel of one array task mid-run, then sweep resubmit (that shard only) merges to crystallm run",
  ignore: why !== null,
  sanitizeResources: false,
  fn: async () => {
    const slurm = await startSlurm({ maxArraySize: 4 });
    const tmp = await Deno.makeTempDir({ prefix: "sweep_slurm_fault_" });
    try {
      // the CSP benchmark's ci profile: 24 test compositions × 20 generations, in 6 blocks
      const local = join(tmp, "local"), out = join(tmp, "sweep"), dir = join(out, "csp-perov5");
      const l = await crystallm(["run", "csp-perov5", "--profile", "ci", "--out", local]);
      assert.equal(l.code, 0, l.stderr);
      // its dataset and train stages found done (see sweep_test.ts)
      await seedStages(join(local, "csp-perov5"), dir);
      const s = await crystallm(
        [
          "sweep",
          "csp-perov5",
          "--profile",
          "ci",
          "--out",
          out,
          "--shards",
          "6",
          "--slurm",
          "--max-parallel",
          "2",
        ],
        slurm.env,
      );
      assert.equal(s.code, 0, s.stderr);
      const first = jobsOf(dir).submissions[0];
      // shard 4 is task 0 of the second array (offset 4): cancel it while it samples
      const victim = 4;
      const shards = join(dir, "shards");
      await until("shard 4 to start generating", () => {
        try {
          return [...Deno.readDirSync(shards)].some((e) => e.name.startsWith(`.tmp-${victim}-`));
        } catch {
          return false;
        }
      });
      const task = `${first.arrays[1].job}_${victim - first.arrays[1].offset}`;
      assert.ok(new Deno.Command("scancel", { args: [task], env: slurm.env }).outputSync().success);
      // the other shards finish; the merge job can never start (afterok failed)
      await until(
        "every shard task to end",
        () => squeue(slurm.env).every((l) => l.startsWith(`${first.merge.job} `)),
      );
      // the reason turns to DependencyNeverSatisfied at the scheduler's next pass
      assert.match(squeue(slurm.env).join("\n"), /PENDING Dependency/);
      await Deno.stat(join(dir, "run.json")).then(() => assert.fail("merged without shard 4"), () => {});
      const st = await crystallm(["sweep", "status", dir], slurm.env);
      assert.match(st.stdout, /6 shards: 5 done, 0 running, 0 pending, 0 failed, 1 missing/);
      assert.match(st.stdout, /shard 4: missing/);
      // a failing sbatch (no such partition) is reported and records nothing
      const bad = await crystallm(["sweep", "resubmit", dir, "--partition", "nosuch"], slurm.env);
      assert.equal(bad.code, 1, bad.stdout + bad.stderr);
      assert.match(bad.stderr, /error: sbatch .*shards-.*\.sbatch failed \(exit 1\): .*(partition|nosuch)/);
      assert.equal(jobsOf(dir).submissions.length, 1);
      assert.match(squeue(slurm.env).join("\n"), new RegExp(`^${first.merge.job} PENDING`, "m"));
      const r = await crystallm(["sweep", "resubmit", dir], slurm.env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /submitted array job \d+ \(shards 4\)\n/);
      const second = jobsOf(dir).submissions[1];
      assert.equal(jobsOf(dir).submissions.length, 2);
      assert.deepEqual(second.arrays.map((a) => [a.offset, a.array]), [[4, "0"]]);
      assert.match(read(second.arrays[0].script), /#SBATCH --array=0%2\n/);
      await until("the resubmitted shard and the new merge job", () => squeue(slurm.env).length === 0);
      assertSameRun(join(local, "csp-perov5"), dir, ["csp/perov5_val/raw"]);
      // and nothing else in the merged generations folder: 480 CIFs and the stage's manifest
      const raw = (d: string) => join(d, "csp", "perov5_val", "raw");
      const files = [...Deno.readDirSync(raw(join(local, "csp-perov5")))].map((e) => e.name).sort();
      assert.equal(files.length, 24 * 20 + 1);
      assert.deepEqual([...Deno.readDirSync(raw(dir))].map((e) => e.name).sort(), files);
      assert.match(
        (await crystallm(["sweep", "resubmit", dir], slurm.env)).stdout,
        /nothing to resubmit: 6 done/,
      );
    } finally {
      await slurm.stop();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
