/**
 * The experiments end to end, reduced (`--profile ci`), against their snapshots,
 * and planted regressions that the audit must catch.
 *
 * Runs every stage for real: dataset build from fixtures, finetuning through the
 * libtorch FFI library, KV-cache sampling, postprocess, evaluation, summary,
 * report, audit. Needs the FFI library (tasks/setup.sh builds it) and the
 * committed base model fixtures/base/ckpt.pt.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type CliResult, crystallm as runCli } from "./cli.ts";

function crystallm(...args: string[]): Promise<CliResult> {
  return runCli(args, { CI: "" });
}

Deno.test("nacl10 (ci profile) runs end to end and matches snapshots/nacl10.ci.json; a planted regression fails", async (t) => {
  const outRoot = await Deno.makeTempDir({ prefix: "crystallm-pipeline-" });
  await t.step("audit passes on a fresh run", async () => {
    const r = await crystallm("audit", "nacl10", "--profile", "ci", "--out", outRoot);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /audit: OK/);
    const dir = join(outRoot, "nacl10");
    for (const f of ["summary.csv", "summary.md", "summary_macro.csv", "metrics.json", "report.html", "run.json", "config.resolved.yaml"]) {
      await Deno.stat(join(dir, f));
    }
    // the training loop logged losses and saved a new checkpoint
    const log = await Deno.readTextFile(join(dir, "train", "nacl10", "train_log.csv"));
    assert.match(log.split("\n")[0], /^iteration,lr,train_loss,val_loss,tokens_per_s/);
    const run = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
    assert.equal(run.profile, "ci");
  });
  await t.step("a second audit skips every unchanged stage", async () => {
    const r = await crystallm("audit", "nacl10", "--profile", "ci", "--out", outRoot);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /\] running/);
    assert.match(r.stderr, /unchanged/);
  });
  await t.step("planted regression: sampling far hotter drifts beyond tolerance (exit 1)", async () => {
    const r = await crystallm("audit", "nacl10", "--profile", "ci", "--out", outRoot, "--set", "sample.temperature=4.0", "--set", "sample.top_k=0");
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /DRIFT/);
  });
  await t.step("planted regression: evaluating samples of a different checkpoint is refused", async () => {
    const dir = join(outRoot, "nacl10");
    const manifestPath = join(dir, "sample", "nacl10", "Na2Cl2", "t1", "raw", "manifest.json");
    // first restore the normal run, then tamper with the recorded checkpoint of its samples
    assert.equal((await crystallm("run", "nacl10", "--profile", "ci", "--out", outRoot)).code, 0);
    const m = JSON.parse(await Deno.readTextFile(manifestPath));
    m.outputs.checkpoint_sha256 = "0".repeat(64);
    await Deno.writeTextFile(manifestPath, JSON.stringify(m));
    const r = await crystallm("audit", "nacl10", "--profile", "ci", "--out", outRoot);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /samples come from checkpoint 000000000000/);
  });
  await Deno.remove(outRoot, { recursive: true });
});

Deno.test("every other experiment (ci profile) runs, chains through run: paths, and matches its snapshot", async (t) => {
  const outRoot = await Deno.makeTempDir({ prefix: "crystallm-experiments-" });
  // nacl10 feeds demo5 (its token files); pretrain feeds mix10000 (its dataset)
  await t.step("run nacl10", async () => {
    const r = await crystallm("run", "nacl10", "--profile", "ci", "--out", outRoot);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });
  for (const e of ["pretrain", "demo5", "demo6", "mix10000", "temp-ablation", "paper-grade"]) {
    await t.step(`audit ${e} against snapshots/${e}.ci.json`, async () => {
      const r = await crystallm("audit", e, "--profile", "ci", "--out", outRoot);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /audit: OK/);
    });
  }
  await t.step("mix10000 evaluated the checkpoint it trained, not the base model", async () => {
    const run = JSON.parse(await Deno.readTextFile(join(outRoot, "mix10000", "run.json")));
    const base = await crypto.subtle.digest("SHA-256", await Deno.readFile("fixtures/base/ckpt.pt"));
    const baseHex = [...new Uint8Array(base)].map((b) => b.toString(16).padStart(2, "0")).join("");
    const ck = run.checkpoints.mix10000;
    assert.ok(ck.path.startsWith(join(outRoot, "mix10000", "train")), ck.path);
    assert.notEqual(ck.sha256, baseHex, "mix10000 sampled from the base checkpoint (the seed's stale-checkpoint pitfall)");
  });
  await Deno.remove(outRoot, { recursive: true });
});
