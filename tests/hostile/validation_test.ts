/**
 * Bad input stopped before expensive work: the whole experiment validated up front,
 * `--set` for an undefined model, NaN/infinite weights, a diverging training run, token
 * ids outside the vocabulary, a missing or broken `meta.pkl`, empty input folders.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readCheckpoint, writeCheckpoint } from "../../checkpoint/mod.ts";
import { sharedPath } from "../../core/paths.ts";
import { CORPUS, expectOutcome, makeSandbox, REPO_ROOT, type Sandbox, writeYaml } from "./_test_utils.ts";

const BASE = join(REPO_ROOT, "fixtures", "base", "ckpt.pt");
const NACL = join(REPO_ROOT, "fixtures", "nacl10");

function exists(p: string): boolean {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
}

Deno.test("run validates the whole experiment before any stage, listing every problem", async (t) => {
  const box = await makeSandbox();
  await t.step("problems the YAML shows: types, ranges, unknown keys, n_head not dividing n_embd", async () => {
    await expectOutcome(box, ["run", join(CORPUS, "yaml", "many_problems.yaml"), "--out", box.out], {
      code: 2,
      matches: [
        /many_problems\.yaml: 8 problems/,
        /dataset\.val_fraction must be a number in \[0, 1\], got 1\.5/,
        /n_head 3 does not divide n_embd 128/,
        /Unknown key learning_rat in models\.wide\.train/,
        /sample\.n must be an integer >= 1, got 0/,
        /sample\.top_k must be an integer >= 0, got -1/,
        /sample\.temperature must be a finite number > 0, got 0/,
        /sample\.max_new_tokens must be an integer >= 1, got 0/,
        /sample\.batch must be an integer >= 1, got 2\.5/,
      ],
    });
    assert.deepEqual([...Deno.readDirSync(box.out)], []);
  });
  await t.step("problems on disk: block_size beyond the checkpoint's, missing inputs, all at once", async () => {
    const y = await writeYaml(
      box,
      "disk.yaml",
      `experiment: disk
dataset: { sources: [${join(box.root, "no-such-folder")}] }
models:
  wide: { train: { init_from: ${BASE}, block_size: 4096, max_iters: 5 } }
  other: { train: { init_from: wide, block_size: 8192, max_iters: 5 } }
  gone: { checkpoint: ${join(box.root, "no-such.pt")} }
prompts: ["data_Na2Cl2\\n"]
`,
    );
    await expectOutcome(box, ["run", y, "--out", box.out], {
      code: 2,
      matches: [
        /disk\.yaml: 4 problems/,
        /dataset\.sources\[0\]: .*no-such-folder does not exist/,
        /models\.wide\.train\.block_size 4096 is larger than the block_size 384 of its init_from .*ckpt\.pt; set block_size <= 384/,
        /models\.other\.train\.block_size 8192 is larger than the block_size 4096 of its init_from wide/,
        /models\.gone\.checkpoint: Cannot find checkpoint .*no-such\.pt/,
      ],
    });
    assert.deepEqual([...Deno.readDirSync(box.out)], []);
  });
  await t.step("--set for a model the experiment does not define names the defined ones", async () => {
    await expectOutcome(box, ["run", "nacl10", "--out", box.out, "--set", "models.nacl01.train.max_iters=5"], {
      code: 2,
      matches: [/override "models\.nacl01\.train\.max_iters=5": the experiment defines no model "nacl01" \(its models: nacl10\)/],
    });
    await expectOutcome(box, ["run", "demo5", "--out", box.out, "--set", "models.baseline.chekpoint=x"], {
      code: 2,
      matches: [/unknown key "models\.baseline\.chekpoint"/],
    });
    assert.deepEqual([...Deno.readDirSync(box.out)], []);
  });
  await Deno.remove(box.root, { recursive: true });
});

/** Write a copy of the base checkpoint with `edit` applied, outside `--out`. */
async function hostileCheckpoint(box: Sandbox, name: string, edit: (ck: Awaited<ReturnType<typeof readCheckpoint>>) => void) {
  const ck = await readCheckpoint(BASE);
  edit(ck);
  const dir = join(box.root, "ckpt", name);
  await Deno.mkdir(dir, { recursive: true });
  await writeCheckpoint(join(dir, "ckpt.pt"), ck);
  return join(dir, "ckpt.pt");
}

/** A token folder outside `--out`: the corpus's token files and the oracle's meta.pkl (or another). */
async function tokenDir(box: Sandbox, name: string, meta: "oracle" | "missing" | "garbage", files = "id_out_of_vocab") {
  const dir = join(box.root, "tokens", name);
  await Deno.mkdir(dir, { recursive: true });
  for (const f of ["train.bin", "val.bin"]) await Deno.copyFile(join(CORPUS, "tokens", files, f), join(dir, f));
  if (meta === "oracle") await Deno.copyFile(sharedPath("oracle/tokenizer/meta.pkl"), join(dir, "meta.pkl"));
  if (meta === "garbage") await Deno.writeTextFile(join(dir, "meta.pkl"), "not a pickle\n");
  return dir;
}

async function trainYaml(box: Sandbox, name: string, body: Record<string, unknown>) {
  const lines = Object.entries({ eval_interval: 1000, eval_iters_train: 1, eval_iters_val: 1, batch_size: 2, ...body })
    .map(([k, v]) => `${k}: ${v}`);
  return await writeYaml(box, `${name}.yaml`, lines.join("\n") + "\n");
}

Deno.test("NaN or infinite weights are refused by sample, score and train; nothing is written", async (t) => {
  const box = await makeSandbox();
  const nan = await hostileCheckpoint(box, "nan", (ck) => (ck.model.get("transformer.h.1.mlp.c_fc.weight")!.data[17] = NaN));
  const inf = await hostileCheckpoint(box, "inf", (ck) => (ck.model.get("transformer.ln_f.weight")!.data[3] = -Infinity));
  await t.step("sample", async () => {
    await expectOutcome(box, ["sample", "--ckpt", nan, "--prompt", "NaCl", "--n", "1", "--out", join(box.out, "s")], {
      code: 2,
      matches: [/Cannot use checkpoint .*nan\/ckpt\.pt: transformer\.h\.1\.mlp\.c_fc\.weight holds NaN at element 17/, /restore a good copy or retrain/],
    });
    assert.ok(!exists(join(box.out, "s")));
  });
  await t.step("score", async () => {
    for (const [ck, what] of [[nan, /holds NaN at element 17/], [inf, /transformer\.ln_f\.weight holds -Infinity at element 3/]] as const) {
      await expectOutcome(box, ["score", "--ckpt", ck, join(NACL, "NaCl_B1_1GPa.cif")], { code: 2, matches: [what] });
    }
  });
  await t.step("train (finetune from it)", async () => {
    const tokens = await tokenDir(box, "ok", "oracle", "in_vocab");
    const y = await trainYaml(box, "ft-nan", { init_from: nan, dataset: tokens, out_dir: join(box.out, "t"), max_iters: 2, block_size: 64 });
    await expectOutcome(box, ["train", "--config", y, "--no-progress"], { code: 2, matches: [/holds NaN at element 17/] });
    assert.ok(!exists(join(box.out, "t")));
  });
  await Deno.remove(box.root, { recursive: true });
});

Deno.test("training stops on a non-finite loss and never saves that state", async () => {
  const box = await makeSandbox();
  // finite weights that overflow: the logits of a 1e30-scaled embedding are infinite
  const huge = await hostileCheckpoint(box, "huge", (ck) => {
    const t = ck.model.get("transformer.wte.weight")!;
    for (let i = 0; i < t.data.length; i++) t.data[i] *= 1e30;
  });
  const tokens = await tokenDir(box, "ok", "oracle", "in_vocab");
  const out = join(box.out, "t");
  const y = await trainYaml(box, "ft-huge", {
    init_from: huge,
    dataset: tokens,
    out_dir: out,
    max_iters: 4,
    eval_interval: 2,
    block_size: 64,
    always_save_checkpoint: true,
  });
  await expectOutcome(box, ["train", "--config", y, "--no-progress"], {
    code: 1,
    matches: [/Training stopped at iteration 0: the loss is (NaN|Infinity)/, /no checkpoint was saved/, /Lower learning_rate/],
  });
  assert.ok(!exists(join(out, "ckpt.pt")), "a checkpoint of the diverged state was saved");
  const log = (await Deno.readTextFile(join(out, "train_log.csv"))).trim().split("\n");
  assert.equal(log[0], "iteration,lr,train_loss,val_loss,tokens_per_s");
  assert.match(log[1], /^0,[^,]+,(NaN|Infinity),/);
  await Deno.remove(box.root, { recursive: true });
});

Deno.test("token ids outside the vocabulary and a missing or broken meta.pkl are refused with the file named", async (t) => {
  const box = await makeSandbox();
  await t.step("data subset: file and offset of the id", async () => {
    const dir = await tokenDir(box, "bad", "oracle");
    await expectOutcome(box, ["data", "subset", "--in", dir, "--out", join(box.out, "sub"), "--n-train", "1", "--n-val", "1"], {
      code: 2,
      matches: [/Cannot subset .*bad\/train\.bin: token id 400 at offset 1234 \(byte 2468\) is outside the vocabulary of 371 tokens/],
    });
    assert.ok(!exists(join(box.out, "sub")));
  });
  await t.step("train: file and offset of the id, before anything is written", async () => {
    const dir = await tokenDir(box, "bad2", "oracle");
    const y = await trainYaml(box, "scratch-bad", { init_from: "scratch", dataset: dir, out_dir: join(box.out, "t"), n_layer: 1, n_head: 2, n_embd: 32, block_size: 32, max_iters: 2 });
    await expectOutcome(box, ["train", "--config", y, "--no-progress"], {
      code: 1,
      matches: [/Cannot train: .*bad2\/train\.bin holds token id 400 at offset 1234 \(byte 2468\), but the vocabulary has 371 tokens/],
    });
    assert.ok(!exists(join(box.out, "t")));
  });
  for (const meta of ["missing", "garbage"] as const) {
    await t.step(`train with a ${meta} meta.pkl: an error, not a default vocabulary`, async () => {
      const dir = await tokenDir(box, `meta-${meta}`, meta, "in_vocab");
      const y = await trainYaml(box, `meta-${meta}`, { init_from: "scratch", dataset: dir, out_dir: join(box.out, "t"), n_layer: 1, n_head: 2, n_embd: 32, block_size: 32, max_iters: 2 });
      await expectOutcome(box, ["train", "--config", y, "--no-progress"], {
        code: 1,
        matches: [new RegExp(`meta-${meta}/meta\\.pkl cannot be read \\(${meta === "missing" ? "it is missing" : "Cannot unpickle"}`), /crystallm data build/],
        noMatch: [/Defaulting to vocab_size/],
      });
      assert.ok(!exists(join(box.out, "t")));
    });
  }
  await t.step("data subset with a missing meta.pkl", async () => {
    const dir = await tokenDir(box, "nometa", "missing", "in_vocab");
    await expectOutcome(box, ["data", "subset", "--in", dir, "--out", join(box.out, "sub"), "--n-train", "1", "--n-val", "1"], {
      code: 2,
      matches: [/Cannot subset .*nometa: meta\.pkl is missing/],
    });
  });
  await Deno.remove(box.root, { recursive: true });
});

Deno.test("an empty input folder is an error, never a silent empty dataset or evaluation", async () => {
  const box = await makeSandbox();
  const empty = join(box.root, "empty");
  await Deno.mkdir(empty);
  await expectOutcome(box, ["data", "build", "--source", empty, "--out", join(box.out, "tok")], {
    code: 2,
    matches: [/Cannot build a dataset from .*empty: it holds no CIFs \(no \*\.cif files in the folder\)/],
  });
  assert.ok(!exists(join(box.out, "tok")));
  await expectOutcome(box, ["evaluate", empty, "--out", join(box.out, "e.csv")], {
    code: 2,
    matches: [/Cannot evaluate .*empty: it holds no CIF files/],
  });
  await expectOutcome(box, ["postprocess", empty, join(box.out, "pp")], {
    code: 2,
    matches: [/Cannot postprocess .*empty: it holds no CIF files/],
  });
  assert.ok(!exists(join(box.out, "pp")));
  await Deno.remove(box.root, { recursive: true });
});

Deno.test("sample options and evaluate --train are checked before any work", async () => {
  const box = await makeSandbox();
  for (const [flag, value, why] of [["--temperature", "0", /must be a number > 0, got 0/], ["--n", "0", /must be >= 1, got 0/], ["--max-new-tokens", "-5", /must be >= 1, got -5/]] as const) {
    await expectOutcome(box, ["sample", "--ckpt", BASE, "--prompt", "NaCl", flag, value, "--out", join(box.out, "s")], {
      code: 2,
      matches: [new RegExp(`option '${flag} <\\w+>' argument '${value}' is invalid`), why],
    });
  }
  assert.ok(!exists(join(box.out, "s")));
  // a token folder without its meta.pkl: the ids cannot be read, said before evaluating
  const dir = await tokenDir(box, "nometa", "missing", "in_vocab");
  const r = await expectOutcome(box, ["evaluate", NACL, "--out", join(box.out, "e.csv"), "--train", dir], {
    code: 2,
    matches: [/Cannot read --train: Cannot read .*nometa\/meta\.pkl: .*a token folder needs its meta\.pkl/],
  });
  assert.doesNotMatch(r.stdout, /parsed:/);
  await Deno.remove(box.root, { recursive: true });
});
