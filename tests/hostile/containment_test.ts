/**
 * Hostile inputs, data loss and containment: names that become paths, `run:` references,
 * symbolic links planted in `--out`, and concurrent runs into one `--out`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { hostname } from "node:os";
import { CORPUS, crystallm, expectOutcome, makeSandbox, surroundings } from "./_test_utils.ts";

const yaml = (name: string) => join(CORPUS, "yaml", name);

Deno.test("run refuses names that would become paths outside --out (.., absolute, odd Unicode)", async (t) => {
  const box = await makeSandbox();
  const cases: [string, RegExp[]][] = [
    ["model_name_dotdot.yaml", [/"\.\.\/\.\.\/\.\.\/\.\.\/x" is not a plain identifier/, /train\/<model>/]],
    ["model_name_absolute.yaml", [/"\/tmp\/crystallm-hostile-model" is not a plain identifier/]],
    ["model_name_unicode.yaml", [/3 problems/, /"ｂａｓｅ" is not a plain identifier/, /"\.\.∕\.\.∕x" is not a plain identifier/]],
    ["experiment_dotdot.yaml", [/experiment: "\.\.\/\.\.\/x" is not a plain identifier/]],
    ["experiment_absolute.yaml", [/experiment: "\/tmp\/crystallm-hostile-experiment" is not a plain identifier/]],
    ["prompt_slug_dotdot.yaml", [/prompts: "data_\.\.\\n" names no composition/, /prompts: "data_\\n" names no composition/]],
  ];
  for (const [file, matches] of cases) {
    await t.step(file, async () => {
      await expectOutcome(box, ["run", yaml(file), "--out", box.out], { code: 2, matches: [new RegExp(file.replace(".", "\\.")), ...matches] });
      // nothing was created in --out either: the experiment was rejected before any stage
      assert.deepEqual([...Deno.readDirSync(box.out)], []);
    });
  }
  await Deno.remove(box.root, { recursive: true });
});

Deno.test("run: references resolve inside the --out root only", async () => {
  const box = await makeSandbox();
  await expectOutcome(box, ["run", yaml("run_ref_escape.yaml"), "--out", box.out], {
    code: 2,
    matches: [/3 problems/, /Refusing run:\.\.\/x/, /Refusing run:\.\.\/\.\.\/\.\.\/etc\/passwd/, /Refusing run:\/etc\/passwd/, /inside the output root/],
  });
  // a link inside --out that points outside is followed and refused as well
  await Deno.mkdir(join(box.out, "other"), { recursive: true });
  await Deno.symlink(join(box.root, "victim"), join(box.out, "other", "train"));
  const linked = join(box.root, "yaml-linked.yaml");
  await Deno.writeTextFile(linked, `experiment: hostile\nmodels: { a: { checkpoint: "run:other/train/precious.txt" } }\nprompts: ["data_Na2Cl2\\n"]\n`);
  await expectOutcome(box, ["run", linked, "--out", box.out], { code: 2, matches: [/Refusing run:other\/train\/precious\.txt/, /victim/] });
  await Deno.remove(box.root, { recursive: true });
});

Deno.test("a symbolic link planted in a run folder never makes a run delete or write outside --out", async (t) => {
  const box = await makeSandbox();
  const run = join(box.out, "tiny");
  await t.step("a stage folder's parent linked outside: refused, the target intact", async () => {
    await Deno.mkdir(run, { recursive: true });
    await Deno.symlink(join(box.root, "victim"), join(run, "sample"));
    await expectOutcome(box, ["run", yaml("tiny.yaml"), "--out", box.out], {
      code: 2,
      matches: [/Refusing to clear and write the stage folder of sample\/base\/Na2Cl2\/t1/, /victim/, /outside the output root/],
    });
    assert.equal(await Deno.readTextFile(join(box.root, "victim", "precious.txt")), "do not delete\n");
    await Deno.remove(join(run, "sample"));
  });
  await t.step("metrics.json linked to a file outside: the link is replaced, the file untouched", async () => {
    await Deno.symlink(join(box.root, "victim", "precious.txt"), join(run, "metrics.json"));
    await expectOutcome(box, ["run", yaml("tiny.yaml"), "--out", box.out], { code: 0 });
    assert.ok(Deno.lstatSync(join(run, "metrics.json")).isFile);
    assert.equal(await Deno.readTextFile(join(box.root, "victim", "precious.txt")), "do not delete\n");
  });
  await Deno.remove(box.root, { recursive: true });
});

Deno.test("run takes a lock on its folder: a live holder is named, a stale one is cleared", async (t) => {
  const box = await makeSandbox();
  const run = join(box.out, "tiny");
  const lock = join(run, "run.lock");
  await Deno.mkdir(run, { recursive: true });
  await t.step("a lock held by a live process: exit 1 naming pid, host and start time", async () => {
    const held = { pid: Deno.pid, host: hostname(), started: "2026-12-04T10:00:00.000Z", proc_start: null };
    await Deno.writeTextFile(lock, JSON.stringify(held));
    await expectOutcome(box, ["run", yaml("tiny.yaml"), "--out", box.out], {
      code: 1,
      matches: [new RegExp(`pid ${Deno.pid} on host ${hostname()} since 2026-12-04T10:00:00.000Z`), /holds its lock/],
    });
    // the holder's folder is untouched: no stage ran
    assert.deepEqual([...Deno.readDirSync(run)].map((e) => e.name), ["run.lock"]);
  });
  await t.step("a lock left by a dead process is detected and cleared", async () => {
    const child = new Deno.Command("true").spawn();
    await child.status;
    await Deno.writeTextFile(lock, JSON.stringify({ pid: child.pid, host: hostname(), started: "2026-12-04T10:00:00.000Z", proc_start: "1" }));
    const r = await expectOutcome(box, ["run", yaml("tiny.yaml"), "--out", box.out], { code: 0, matches: [/clearing a stale lock/, new RegExp(`pid ${child.pid}`)] });
    assert.match(r.stderr, /no longer running/);
    assert.throws(() => Deno.statSync(lock), Deno.errors.NotFound);
  });
  await t.step("two runs started together into one --out: one runs, the other names it", async () => {
    const before = surroundings(box);
    const [a, b] = await Promise.all([
      crystallm("run", yaml("tiny.yaml"), "--out", box.out, "--force"),
      crystallm("run", yaml("tiny.yaml"), "--out", box.out, "--force"),
    ]);
    const codes = [a.code, b.code].sort();
    assert.deepEqual(codes, [0, 1], a.stderr + b.stderr);
    const loser = a.code === 1 ? a : b;
    assert.match(loser.stderr, /another run (holds its lock \(pid \d+ on host .* since .*\)|is taking its lock)/);
    assert.deepEqual(surroundings(box), before);
  });
  await Deno.remove(box.root, { recursive: true });
});

Deno.test("a run killed with SIGKILL leaves no current metrics; diff says so; the next run clears its lock", async () => {
  const box = await makeSandbox();
  const run = join(box.out, "tiny");
  assert.equal((await crystallm("run", join(CORPUS, "yaml", "tiny.yaml"), "--out", box.out)).code, 0);
  assert.ok(Deno.statSync(join(run, "metrics.json")).isFile);
  // rerun with more samples and kill it while it samples
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tasks/crystallm.ts", "run", join(CORPUS, "yaml", "tiny.yaml"), "--out", box.out, "--set", "sample.n=64", "--set", "sample.max_new_tokens=400"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const raw = join(run, "sample", "base", "Na2Cl2", "t1", "raw");
  const exists = (p: string) => {
    try {
      Deno.statSync(p);
      return true;
    } catch {
      return false;
    }
  };
  // sampling has started when its stage folder exists without a manifest
  for (let i = 0; i < 1200 && !(exists(join(run, "run.lock")) && exists(raw) && !exists(join(raw, "manifest.json"))); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(exists(raw) && !exists(join(raw, "manifest.json")), "the rerun never reached sampling");
  child.kill("SIGKILL");
  await child.status;
  for (const f of ["metrics.json", "run.json", "config.resolved.yaml"]) {
    assert.throws(() => Deno.statSync(join(run, f)), Deno.errors.NotFound, `${f} survived an interrupted run`);
  }
  const other = join(box.out, "other");
  await Deno.mkdir(other);
  await Deno.writeTextFile(join(other, "metrics.json"), "{}");
  await expectOutcome(box, ["diff", run, other], { code: 2, matches: [/Cannot read metrics/, /interrupted/, /no current metrics/] });
  await expectOutcome(box, ["run", join(CORPUS, "yaml", "tiny.yaml"), "--out", box.out], { code: 0, matches: [/clearing a stale lock/] });
  assert.ok(Deno.statSync(join(run, "metrics.json")).isFile);
  await Deno.remove(box.root, { recursive: true });
});
