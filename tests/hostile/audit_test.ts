/**
 * Hostile snapshots: the audit fails when it should (missing, new and drifting metrics,
 * a snapshot of another run), a malformed snapshot is an error that says what is wrong
 * and never suggests `--update`, and `--update` does not overwrite what it cannot parse.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CORPUS, crystallm, expectOutcome, makeSandbox, type Sandbox } from "./_test_utils.ts";

const TINY = join(CORPUS, "yaml", "tiny.yaml");

async function recorded(box: Sandbox): Promise<Record<string, any>> {
  const path = join(box.out, "recorded.json");
  const r = await crystallm("audit", TINY, "--out", box.out, "--update", "--snapshot", path);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(await Deno.readTextFile(path));
}

Deno.test("audit fails on a snapshot metric the run lacks, and on a run metric the snapshot lacks unless --allow-new", async (t) => {
  const box = await makeSandbox();
  const good = await recorded(box);
  const names = Object.keys(good.metrics);
  assert.ok(names.length >= 5, names.join());
  const write = async (name: string, snap: unknown) => {
    const p = join(box.root, name);
    await Deno.writeTextFile(p, JSON.stringify(snap, null, 2));
    return p;
  };
  await t.step("the recorded snapshot passes", async () => {
    await expectOutcome(box, ["audit", TINY, "--out", box.out, "--snapshot", await write("good.json", good)], { code: 0, matches: [/audit: OK/] });
  });
  await t.step("a metric deleted from the snapshot: new, exit 1; accepted with --allow-new", async () => {
    const snap = structuredClone(good);
    delete snap.metrics[names[0]];
    const p = await write("deleted.json", snap);
    await expectOutcome(box, ["audit", TINY, "--out", box.out, "--snapshot", p], {
      code: 1,
      matches: [new RegExp(`${names[0].replaceAll("/", "\\/")}\\s+—\\s+\\S+\\s+—\\s+new`), /1 run metrics missing from the snapshot/, /--allow-new/],
    });
    await expectOutcome(box, ["audit", TINY, "--out", box.out, "--snapshot", p, "--allow-new"], {
      code: 0,
      matches: [/audit: OK \(1 new metrics allowed by --allow-new\)/],
    });
  });
  await t.step("a snapshot metric the run does not produce: missing, exit 1", async () => {
    const snap = structuredClone(good);
    snap.metrics["base/Na2Cl2/no_such_metric"] = { value: 0.5, abs: 0.1 };
    await expectOutcome(box, ["audit", TINY, "--out", box.out, "--snapshot", await write("extra.json", snap)], {
      code: 1,
      matches: [/base\/Na2Cl2\/no_such_metric\s+0\.5000\s+—\s+—\s+±0\.1\s+missing/, /1 snapshot metrics missing from the run/],
    });
  });
  await t.step("a value moved beyond its tolerance: DRIFT, exit 1", async () => {
    const snap = structuredClone(good);
    snap.metrics[names[3]].value += 50;
    await expectOutcome(box, ["audit", TINY, "--out", box.out, "--snapshot", await write("drift.json", snap)], {
      code: 1,
      matches: [/DRIFT/, /1 DRIFT beyond tolerance/],
    });
  });
  const header: [string, (s: any) => void, RegExp][] = [
    ["experiment", (s) => (s.experiment = "nacl10"), /experiment: snapshot nacl10, run tiny/],
    ["n", (s) => (s.n = 3), /n: snapshot 3, run 2/],
    ["seed", (s) => (s.seed = 8), /seed: snapshot 8, run 7/],
    ["profile", (s) => (s.provenance.profile = "ci"), /profile: snapshot ci, run none/],
  ];
  for (const [field, edit, message] of header) {
    await t.step(`the snapshot's ${field} differs from the run's: exit 1 before anything runs`, async () => {
      const snap = structuredClone(good);
      edit(snap);
      const r = await expectOutcome(box, ["audit", TINY, "--out", box.out, "--snapshot", await write(`${field}.json`, snap)], {
        code: 1,
        matches: [/was recorded for another run/, message],
      });
      assert.doesNotMatch(r.stderr, /\[sample/);
    });
  }
  await Deno.remove(box.root, { recursive: true });
});

Deno.test("a malformed snapshot is an error naming what is wrong, never suggesting --update", async (t) => {
  const box = await makeSandbox();
  const cases: [string, RegExp[]][] = [
    ["truncated.json", [/invalid JSON/]],
    ["string_value.json", [/metrics\["base\/Na2Cl2\/validity"\]\.value is not a number/]],
    ["no_metrics.json", [/metrics is missing or not an object/]],
    ["empty_metrics.json", [/metrics is empty/]],
    ["bad_header.json", [/n is missing or not a number/, /\.abs is not a number >= 0/]],
  ];
  for (const [file, matches] of cases) {
    await t.step(file, async () => {
      const p = join(CORPUS, "snapshots", file);
      const r = await expectOutcome(box, ["audit", TINY, "--out", box.out, "--snapshot", p], {
        code: 2,
        matches: [new RegExp(`Cannot (read|use) snapshot .*${file.replace(".", "\\.")}`), /restore it from git/, ...matches],
        noMatch: [/--update/, /audit: OK/],
      });
      // checked before anything ran
      assert.doesNotMatch(r.stderr, /\[sample/);
    });
  }
  await t.step("a missing snapshot: exit 2, and here --update is the way to create one", async () => {
    await expectOutcome(box, ["audit", TINY, "--out", box.out, "--snapshot", join(box.root, "none.json")], {
      code: 2,
      matches: [/no such file; record one with --update/],
    });
  });
  await Deno.remove(box.root, { recursive: true });
});

Deno.test("audit --update refuses to overwrite a snapshot it cannot parse unless --force", async () => {
  const box = await makeSandbox();
  const p = join(box.out, "snap.json");
  await Deno.copyFile(join(CORPUS, "snapshots", "truncated.json"), p);
  const before = await Deno.readTextFile(p);
  await expectOutcome(box, ["audit", TINY, "--out", box.out, "--snapshot", p, "--update"], {
    code: 2,
    matches: [/invalid JSON/, /Refusing to overwrite it: pass --force to replace it/],
  });
  assert.equal(await Deno.readTextFile(p), before);
  await expectOutcome(box, ["audit", TINY, "--out", box.out, "--snapshot", p, "--update", "--force"], { code: 0, matches: [/wrote /] });
  const snap = JSON.parse(await Deno.readTextFile(p));
  assert.equal(snap.experiment, "tiny");
  assert.equal(snap.n, 2);
  await expectOutcome(box, ["audit", TINY, "--out", box.out, "--snapshot", p], { code: 0, matches: [/audit: OK/] });
  await Deno.remove(box.root, { recursive: true });
});
