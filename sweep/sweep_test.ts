import assert from "node:assert/strict";
import { join } from "node:path";
import { crystallm } from "../tests/cli.ts";
import { REPO_ROOT } from "../core/paths.ts";
import { resolveExperiment } from "../run/experiment.ts";
import { planShards, readTable } from "./table.ts";
import { arrayGroups, compressRanges, shardScript } from "./slurm.ts";
import { shardDir } from "./shard.ts";
import { runShardsLocally, visibleGpus } from "./local.ts";
import { assertSameRun, seedStages } from "./_test_utils.ts";

/** Two prompts × two temperatures from the base checkpoint: four cells, no training. */
const MINI = [
  "experiment: sweepmini",
  "description: four sample cells for the sweep tests",
  "models:",
  `  base: { checkpoint: ${join(REPO_ROOT, "fixtures/base/ckpt.pt")} }`,
  'prompts: ["data_Na2Cl2\\n", "data_Ti2O4\\n"]',
  "sample: { n: 3, top_k: 5, max_new_tokens: 120, seed: 7, temperatures: [0.8, 1.0], batch: 2 }",
  "",
].join("\n");

const read = (p: string) => Deno.readTextFileSync(p);
const cellDir = (cell: string) => `sample/${cell}/raw`;

Deno.test("planShards cuts cells × samples into N contiguous ranges that cover each sample once", () => {
  const spec = resolveExperiment({
    experiment: "x",
    models: { a: { checkpoint: "c" }, b: { checkpoint: "c" } },
    prompts: ["data_Na2Cl2\n", "data_Ti2O4\n"],
    sample: { n: 5, temperatures: [0.5, 1] },
  }, "x.yaml");
  for (const n of [1, 3, 7, 8, 40]) {
    const shards = planShards(spec, n, "fp");
    assert.equal(shards.length, n);
    const seen = new Map<string, number[]>();
    for (const s of shards) {
      assert.ok(s.units.length >= 1);
      for (const u of s.units) {
        const k = `${u.model}/${u.prompt}/${u.temperature}`;
        seen.set(k, [
          ...(seen.get(k) ?? []),
          ...Array.from({ length: u.end - u.start }, (_, i) => u.start + i),
        ]);
      }
    }
    assert.equal(seen.size, 8);
    for (const [k, v] of seen) assert.deepEqual(v, [0, 1, 2, 3, 4], `${n} shards, ${k}`);
    assert.equal(new Set(shards.map((s) => s.fingerprint)).size, n);
  }
  assert.throws(() => planShards(spec, 41, "fp"), /--shards must be an integer from 1 to 40/);
});

Deno.test("arrayGroups keeps every Slurm task id below MaxArraySize with an offset per group", () => {
  const idx = Array.from({ length: 2500 }, (_, i) => i);
  const g = arrayGroups(idx, 1001);
  assert.deepEqual(g.map((x) => [x.offset, x.array]), [[0, "0-1000"], [1001, "0-1000"], [2002, "0-497"]]);
  assert.deepEqual(g.flatMap((x) => x.shards), idx);
  const sparse = arrayGroups([3, 4, 5, 9, 1500], 1001);
  assert.deepEqual(sparse.map((x) => [x.offset, x.array]), [[0, "3-5,9"], [1001, "499"]]);
  assert.equal(compressRanges([0, 2, 3, 4, 8]), "0,2-4,8");
  const s = shardScript("/runs/a b/x", "x", sparse[1], {
    maxParallel: 4,
    gpusPerTask: 1,
    partition: "gpu",
    time: "01:00:00",
  });
  assert.match(s, /#SBATCH --array=499%4\n/);
  assert.match(s, /export CRYSTALLM_SHARD_OFFSET=1001\n/);
  assert.match(s, /shard run '\/runs\/a b\/x' "\$\(\(SLURM_ARRAY_TASK_ID \+ CRYSTALLM_SHARD_OFFSET\)\)"/);
  assert.match(
    s,
    /#SBATCH --gpus-per-task=1\n[\s\S]*#SBATCH --partition=gpu|#SBATCH --partition=gpu[\s\S]*--gpus-per-task=1/,
  );
});

Deno.test("--jobs: J workers take the queue, each with its own GPU from CUDA_VISIBLE_DEVICES", async () => {
  const dir = await Deno.makeTempDir();
  const before = Deno.env.get("CUDA_VISIBLE_DEVICES");
  try {
    Deno.env.set("CUDA_VISIBLE_DEVICES", "4,6");
    assert.deepEqual(visibleGpus(), ["4", "6"]);
    // a stand-in for `crystallm shard run <dir> <i>` that records its GPU; shard 3 fails
    const command = [
      "sh",
      "-c",
      'echo "$4 $CUDA_VISIBLE_DEVICES" >> "$3/log"; sleep 0.2; [ "$4" != 3 ]',
      "sh",
    ];
    const failed = await runShardsLocally(dir, [0, 1, 2, 3, 4], {
      jobs: 2,
      cuda: true,
      command,
      log: () => {},
    });
    assert.deepEqual(failed, [{ index: 3, code: 1 }]);
    const lines = read(join(dir, "log")).trim().split("\n").map((l) => l.split(" "));
    assert.deepEqual(lines.map((l) => l[0]).sort(), ["0", "1", "2", "3", "4"]);
    assert.deepEqual(new Set(lines.map((l) => l[1])), new Set(["4", "6"]), "both GPUs used");
    await Deno.remove(join(dir, "log"));
    // without CUDA the workers keep the environment as it is
    await runShardsLocally(dir, [0, 1], { jobs: 2, cuda: false, command, log: () => {} });
    assert.deepEqual(read(join(dir, "log")).trim().split("\n").map((l) => l.split(" ")[1]), ["4,6", "4,6"]);
  } finally {
    if (before === undefined) Deno.env.delete("CUDA_VISIBLE_DEVICES");
    else Deno.env.set("CUDA_VISIBLE_DEVICES", before);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "nacl10 ci as a sweep of 3 shards merges to the metrics, samples and sample fingerprint of crystallm run",
  sanitizeResources: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "sweep_nacl10_" });
    try {
      const local = join(tmp, "local"), sweep = join(tmp, "sweep");
      const r = await crystallm(["run", "nacl10", "--profile", "ci", "--out", local]);
      assert.equal(r.code, 0, r.stderr);
      // the sweep's own dataset and train stages find the same stages done
      await seedStages(join(local, "nacl10"), join(sweep, "nacl10"));
      const s = await crystallm([
        "sweep",
        "nacl10",
        "--profile",
        "ci",
        "--out",
        sweep,
        "--shards",
        "3",
        "--jobs",
        "2",
      ]);
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stderr, /\[train\/nacl10\] unchanged/);
      const { shards } = readTable(join(sweep, "nacl10"));
      assert.deepEqual(shards.map((x) => x.units.map((u) => [u.start, u.end])), [[[0, 2]], [[2, 5]], [[
        5,
        8,
      ]]]);
      assertSameRun(join(local, "nacl10"), join(sweep, "nacl10"), [cellDir("nacl10/Na2Cl2/t1")]);
      // merge again with --audit: the merged metrics against snapshots/nacl10.ci.json, then
      // against a copy whose validity was moved beyond its tolerance
      const a = await crystallm(["sweep", "merge", join(sweep, "nacl10"), "--audit"]);
      assert.equal(a.code, 0, a.stdout + a.stderr);
      assert.match(a.stdout, /audit: OK/);
      const snap = JSON.parse(await Deno.readTextFile(join(REPO_ROOT, "snapshots", "nacl10.ci.json")));
      const key = Object.keys(snap.metrics).find((k) => k.endsWith("/validity"))!;
      snap.metrics[key].value = snap.metrics[key].value > 0.5 ? 0 : 1;
      const moved = join(tmp, "moved.json");
      await Deno.writeTextFile(moved, JSON.stringify(snap));
      const f = await crystallm(["sweep", "merge", join(sweep, "nacl10"), "--audit", "--snapshot", moved]);
      assert.equal(f.code, 1, f.stdout + f.stderr);
      assert.match(f.stdout, new RegExp(`${key.replaceAll("/", "\\/")}.*DRIFT`));
      assert.match(f.stdout, /audit: FAIL/);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "sweep: shards across cells, a shard run twice at once, a corrupt and a killed shard; merge equals run",
  sanitizeResources: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "sweep_mini_" });
    try {
      const yaml = join(tmp, "sweepmini.yaml");
      await Deno.writeTextFile(yaml, MINI);
      const local = join(tmp, "local"), out = join(tmp, "sweep");
      const cells = ["base/Na2Cl2/t0.8", "base/Na2Cl2/t1", "base/Ti2O4/t0.8", "base/Ti2O4/t1"];
      assert.equal((await crystallm(["run", yaml, "--out", local])).code, 0);

      // the table alone: 5 shards over 4 cells of 3 samples
      const made = await crystallm(["sweep", yaml, "--out", out, "--shards", "5"]);
      assert.equal(made.code, 0, made.stderr);
      const dir = join(out, "sweepmini");
      const { shards } = readTable(dir);
      assert.equal(shards.length, 5);
      assert.ok(shards.some((s) => s.units.length > 1), "a shard spans two cells");
      const table = read(join(dir, "shards.jsonl"));
      // rerunning the same sweep keeps its table; another shard count is refused
      assert.equal((await crystallm(["sweep", yaml, "--out", out, "--shards", "5"])).code, 0);
      const other = await crystallm(["sweep", yaml, "--out", out, "--shards", "4"]);
      assert.equal(other.code, 1);
      assert.match(other.stderr, /already holds a sweep .*immutable/);
      assert.equal(read(join(dir, "shards.jsonl")), table);

      // merging before the shards ran names every one
      const early = await crystallm(["sweep", "merge", dir]);
      assert.equal(early.code, 1);
      for (let i = 0; i < 5; i++) assert.match(early.stderr, new RegExp(`shard ${i} \\(.*\\): not done`));

      // shard 0 run twice at once: one samples, the other waits and finds it done
      const [a, b] = await Promise.all([
        crystallm(["shard", "run", dir, "0"]),
        crystallm(["shard", "run", dir, "0"]),
      ]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      const sampled = [a, b].filter((x) => /\[shard 0\] sampling/.test(x.stderr)).length;
      assert.equal(sampled, 1, a.stderr + b.stderr);
      assert.equal([a, b].filter((x) => /\[shard 0\] already done/.test(x.stderr)).length, 1);

      // shard 1 killed while it samples: nothing of it counts, and a rerun starts clean
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", join(REPO_ROOT, "tasks/crystallm.ts"), "shard", "run", dir, "1"],
        stdout: "null",
        stderr: "null",
      }).spawn();
      const shardsDir = join(dir, "shards");
      const t0 = Date.now();
      while (![...Deno.readDirSync(shardsDir)].some((e) => e.name.startsWith(".tmp-1-"))) {
        assert.ok(Date.now() - t0 < 60_000, "shard 1 never started");
        await new Promise((r) => setTimeout(r, 10));
      }
      child.kill("SIGKILL");
      await child.status;
      await assert.rejects(Deno.stat(shardDir(dir, 1)));
      const restarted = await crystallm(["shard", "run", dir, "1"]);
      assert.equal(restarted.code, 0, restarted.stderr);
      assert.match(restarted.stderr, /stale lock/);
      assert.deepEqual(
        [...Deno.readDirSync(shardsDir)].map((e) => e.name).filter((n) => n.startsWith(".tmp-")),
        [],
      );

      for (const i of [2, 3, 4]) assert.equal((await crystallm(["shard", "run", dir, String(i)])).code, 0);

      // a corrupt sample file is named at merge, and a rerun of that shard repairs it
      const victim = join(shardDir(dir, 3), shards[3].units[0].model, "Ti2O4");
      const cell = [...Deno.readDirSync(victim)][0].name;
      const file = [...Deno.readDirSync(join(victim, cell))].map((e) => e.name).find((n) =>
        n.endsWith(".cif")
      )!;
      await Deno.writeTextFile(join(victim, cell, file), "data_garbage\n");
      const bad = await crystallm(["sweep", "merge", dir]);
      assert.equal(bad.code, 1);
      assert.match(
        bad.stderr,
        new RegExp(`shard 3 \\(.*\\): corrupt: .*${file} differs from the sha256 its DONE marker records`),
      );
      assert.doesNotMatch(bad.stderr, /shard [0124] /);
      assert.equal((await crystallm(["sweep", "status", dir])).stdout.match(/shard 3: failed/)?.length, 1);
      assert.match((await crystallm(["shard", "run", dir, "3"])).stderr, /\[shard 3\] sampling/);

      const merged = await crystallm(["sweep", "merge", dir]);
      assert.equal(merged.code, 0, merged.stderr);
      assertSameRun(join(local, "sweepmini"), dir, cells.map(cellDir));
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name: "csp-perov5 ci as a sweep of 5 blocks of test compositions merges to crystallm run",
  sanitizeResources: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "sweep_csp_" });
    try {
      const local = join(tmp, "local"), out = join(tmp, "sweep"), dir = join(out, "csp-perov5");
      const r = await crystallm(["run", "csp-perov5", "--profile", "ci", "--out", local]);
      assert.equal(r.code, 0, r.stderr);
      // dataset and train as in the nacl10 test: copied, so the sweep finds them done
      await seedStages(join(local, "csp-perov5"), dir);
      const s = await crystallm([
        "sweep",
        "csp-perov5",
        "--profile",
        "ci",
        "--out",
        out,
        "--shards",
        "5",
        "--jobs",
        "2",
      ]);
      assert.equal(s.code, 0, s.stderr);
      const { shards } = readTable(dir);
      // 24 compositions in blocks of 4 or 5, each block with all 20 generations of its compositions
      assert.deepEqual(shards.map((x) => x.units.map((u) => u.benchmark!.ids.length)), [[4], [5], [5], [5], [
        5,
      ]]);
      assert.match(shards[0].units[0].benchmark!.prompts[0], /^data_[A-Za-z0-9]+\n$/);
      const a = join(local, "csp-perov5"), b = dir;
      const raw = join(a, "csp", "perov5_val", "raw");
      assert.equal([...Deno.readDirSync(raw)].filter((e) => e.name.endsWith(".cif")).length, 24 * 20);
      assertSameRun(a, b, ["csp/perov5_val/raw"]);
      assert.equal(
        read(join(b, "csp", "perov5_val", "metrics", "benchmark.json")).replace(/"path": "[^"]*"/g, ""),
        read(join(a, "csp", "perov5_val", "metrics", "benchmark.json")).replace(/"path": "[^"]*"/g, ""),
      );
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
