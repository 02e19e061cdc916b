import assert from "node:assert/strict";
import { join } from "node:path";
import { resolveExperiment } from "./experiment.ts";
import { runExperiment } from "./runner.ts";
import { hashFile } from "../core/hash.ts";

const NACL10 = new URL("../fixtures/nacl10", import.meta.url).pathname;
const BASE = new URL("../fixtures/base/ckpt.pt", import.meta.url).pathname;

Deno.test("each stage folder holds one manifest: the stage's record with its library's report (dataset build's kept/dropped/failed and reasons)", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    // a second source: a copy of a NaCl-10 CIF (a duplicate) and a truncated CIF (fails to read)
    const extra = join(tmp, "extra");
    await Deno.mkdir(extra);
    await Deno.copyFile(join(NACL10, "NaCl_B1_1GPa.cif"), join(extra, "copy.cif"));
    const text = await Deno.readTextFile(join(NACL10, "NaCl_B1_2GPa.cif"));
    await Deno.writeTextFile(join(extra, "truncated.cif"), text.slice(0, 120));
    const spec = resolveExperiment({
      experiment: "manifests",
      dataset: { sources: [NACL10, extra], val_fraction: 0.2, dedupe: true },
      models: { base: { checkpoint: BASE } },
      prompts: ["data_Na2Cl2\n"],
      sample: { n: 2, max_new_tokens: 40, top_k: 5, seed: 7 },
    }, "manifests.yaml");
    const r = await runExperiment(spec, { outRoot: join(tmp, "out"), log: () => {} });

    const ds = JSON.parse(await Deno.readTextFile(join(r.dir, "dataset", "manifest.json")));
    assert.equal(ds.stage, "dataset");
    assert.equal(ds.status, "done");
    const c = ds.report.counts;
    assert.equal(c.read, 12);
    assert.equal(c.kept + c.dropped + c.failed, c.read);
    assert.ok(c.dropped >= 1 && c.failed >= 1, JSON.stringify(c));
    assert.deepEqual(ds.outputs.counts, c);
    // the reasons, one entry per CIF, as the build reported them
    assert.equal(ds.report.dropped.length, c.dropped);
    assert.equal(ds.report.failed.length, c.failed);
    assert.ok(ds.report.failed.some((f: { id: string }) => f.id.includes("truncated.cif")), ds.report.failed);
    assert.ok(ds.report.dropped.some((d: { reason: string }) => d.reason === "duplicate"), ds.report.dropped);
    const reasons = new Set(ds.report.failed.map((f: { reason: string }) => f.reason));
    assert.deepEqual(Object.keys(c.failedByReason).sort(), [...reasons].sort());
    // the code the fingerprint covers: the build's module graph, not the runner's or a test's
    assert.ok(ds.code.modules.includes("data/build.ts"));
    assert.ok(
      ds.code.modules.some((m: string) => m.startsWith("symmetry/")),
      "symmetrizing imports symmetry/",
    );
    assert.ok(!ds.code.modules.some((m: string) => /_test\.ts$|^bench\/|^run\/runner\.ts$/.test(m)));
    assert.ok(ds.code.npm.some((p: string) => p.startsWith("csv-parse@")));
    assert.deepEqual(ds.code.native, []);

    const base = join(r.dir, "sample", "base", "Na2Cl2", "t1");
    const raw = JSON.parse(await Deno.readTextFile(join(base, "raw", "manifest.json")));
    assert.equal(raw.report.checkpoint.sha256, await hashFile(BASE));
    assert.equal(raw.report.samples.length, 2);
    assert.equal(raw.outputs.checkpoint_sha256, raw.report.checkpoint.sha256);
    assert.ok(
      raw.code.native.includes("ffi/CMakeLists.txt"),
      "sampling loads ffi/: its native sources count",
    );
    const pp = JSON.parse(await Deno.readTextFile(join(base, "processed", "manifest.json")));
    assert.equal(pp.stage, "postprocess/base/Na2Cl2/t1");
    assert.equal(pp.report.n_files, 2);
    assert.equal(pp.report.in_dir, join(base, "raw"));

    // a second run skips every stage and leaves the manifests as they were
    const again = await runExperiment(spec, { outRoot: join(tmp, "out"), log: () => {} });
    const run = JSON.parse(await Deno.readTextFile(join(again.dir, "run.json")));
    assert.ok(run.stages.every((s: { skipped: boolean }) => s.skipped), JSON.stringify(run.stages));
    assert.deepEqual(JSON.parse(await Deno.readTextFile(join(r.dir, "dataset", "manifest.json"))), ds);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
