import assert from "node:assert/strict";
import { Command } from "commander";
import { loadModel, readCheckpoint } from "../checkpoint/mod.ts";
import { NO_LIBTORCH } from "../ffi/_test_utils.ts";
import { generate, resolvePrompt, scoreChunks, scoreIds } from "./mod.ts";
import { sampleCommand, scoreCommand } from "./command.ts";

const ORACLE = new URL("../../shared/oracle/", import.meta.url).pathname;
const CKPT = `${ORACLE}model/ckpt_tiny.pt`;
const opts = { ignore: NO_LIBTORCH };

Deno.test("scoreChunks() cuts ids[k*B : k*B+B+1] while k*B+1 < len", () => {
  assert.deepEqual(scoreChunks(10, 4), [[0, 5], [4, 9], [8, 10]]);
  assert.deepEqual(scoreChunks(9, 4), [[0, 5], [4, 9]]);
  assert.deepEqual(scoreChunks(1, 4), []);
  assert.deepEqual(scoreChunks(5, 4), [[0, 5]]);
});

Deno.test("scoreIds() equals the oracle's loss on its train.bin[0:129] entry", opts, async () => {
  const oracle = JSON.parse(await Deno.readTextFile(`${ORACLE}model/logits.json`));
  const entry = oracle.entries.find((e: { model: string; name: string }) =>
    e.model === "ckpt_tiny" && e.name === "A_train_bin_0_128"
  );
  // the oracle's "train.bin[0:129]": its inputs plus the last target
  const ids = [...entry.input_ids, entry.target_ids.at(-1)];
  using model = loadModel(await readCheckpoint(CKPT));
  const { loss, predicted } = await scoreIds(model, ids);
  assert.equal(predicted, 128);
  assert.ok(Math.abs(loss - entry.loss) < 1e-5, `loss ${loss} vs oracle ${entry.loss}`);
  // 300 ids with block 128: chunks of 128, 128 and 43 predictions
  const bytes = await Deno.readFile(`${ORACLE}tokenizer/train.bin`);
  const long = Array.from(new Uint16Array(bytes.buffer, 0, 300));
  assert.equal((await scoreIds(model, long)).predicted, 299);
});

Deno.test("generate() writes the same samples whatever the batch size, with a manifest", opts, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const base = { ckpt: CKPT, prompt: "data_Cd1Cu1N3\n", num_samples: 3, max_new_tokens: 40, seed: 9 };
    const a = await generate({ ...base, out: `${dir}/a`, batch: 3 });
    await generate({ ...base, out: `${dir}/b`, batch: 2 });
    assert.deepEqual(a.files, ["sample_1.cif", "sample_2.cif", "sample_3.cif"]);
    for (const f of a.files) {
      const text = await Deno.readTextFile(`${dir}/a/${f}`);
      assert.ok(text.startsWith("data_Cd1Cu1N3\n"));
      assert.equal(text, await Deno.readTextFile(`${dir}/b/${f}`), f);
    }
    // the report, as `crystallm sample` writes it to manifest.json
    const manifest = JSON.parse(JSON.stringify(a.manifest));
    assert.match(manifest.checkpoint.sha256, /^[0-9a-f]{64}$/);
    assert.equal(manifest.settings.top_k, 10);
    assert.ok(manifest.tokens_per_s > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("generate() with first_sample writes a range as the same files a whole run writes", opts, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const base = { ckpt: CKPT, prompt: "data_Cd1Cu1N3\n", max_new_tokens: 40, seed: 9, batch: 2 };
    await generate({ ...base, out: `${dir}/all`, num_samples: 5 });
    const part = await generate({ ...base, out: `${dir}/part`, num_samples: 2, first_sample: 3 });
    assert.deepEqual(part.files, ["sample_4.cif", "sample_5.cif"]);
    for (const f of part.files) {
      assert.equal(await Deno.readTextFile(`${dir}/part/${f}`), await Deno.readTextFile(`${dir}/all/${f}`), f);
    }
    assert.equal(part.manifest.first_sample, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolvePrompt() reads FILE: prompts and rejects empty ones", async () => {
  const f = await Deno.makeTempFile();
  await Deno.writeTextFile(f, "data_Na2Cl2\n");
  assert.equal(await resolvePrompt(`FILE:${f}`), "data_Na2Cl2\n");
  assert.equal(await resolvePrompt("data_X\n"), "data_X\n");
  await assert.rejects(() => resolvePrompt("FILE:/nonexistent"), /Cannot read prompt file/);
  await assert.rejects(() => resolvePrompt(""), /empty/);
  await Deno.remove(f);
});

Deno.test("crystallm sample and score commands run end to end", opts, async () => {
  const dir = await Deno.makeTempDir();
  const lines: string[] = [];
  const log = console.log;
  const err = console.error;
  console.log = (s: string) => lines.push(s);
  console.error = () => {};
  try {
    const program = new Command().exitOverride().addCommand(sampleCommand()).addCommand(scoreCommand());
    await program.parseAsync(
      [
        "sample",
        "--ckpt",
        CKPT,
        "--prompt",
        "data_Na2Cl2\n",
        "--n",
        "2",
        "--out",
        dir,
        "--max-new-tokens",
        "30",
      ],
      { from: "user" },
    );
    await program.parseAsync(["score", "--ckpt", CKPT, `${dir}/sample_1.cif`, `${dir}/sample_2.cif`], {
      from: "user",
    });
  } finally {
    console.log = log;
    console.error = err;
    await Deno.remove(dir, { recursive: true });
  }
  assert.equal(JSON.parse(lines[0]).samples, 2);
  const scores = lines.slice(1).map((l) => JSON.parse(l));
  assert.equal(scores.length, 2);
  for (const s of scores) {
    assert.deepEqual(Object.keys(s), ["file", "tokens", "loss"]);
    assert.ok(s.tokens > 5 && s.loss > 0 && s.loss < 10);
  }
});
