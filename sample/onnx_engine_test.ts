import assert from "node:assert/strict";
import { loadModel, readCheckpoint } from "../checkpoint/mod.ts";
import { loadTokenizer } from "../data/tokenizer.ts";
import { exportOnnx } from "../export/onnx_export.ts";
import { NO_LIBTORCH } from "../ffi/_test_utils.ts";
import { sampleOnnx } from "../onnx/generate.ts";
import { OnnxDecoder } from "../onnx/session.ts";
import { generateOnnx, scoreIdsOnnx } from "./onnx_engine.ts";
import { scoreIds } from "./score.ts";
import { buildProgram } from "../tasks/crystallm.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const ORACLE = `${ROOT}../shared/oracle/`;
const TINY = `${ORACLE}model/ckpt_tiny.pt`;
const BASE = `${ROOT}fixtures/base/ckpt.pt`;
const opts = { ignore: NO_LIBTORCH };

/** `data_<formula>\n` prompts of the oracle's CIFs, in file order, without repeats. */
async function prompts(count: number): Promise<string[]> {
  const lines = (await Deno.readTextFile(`${ORACLE}tokenizer/preprocessed.jsonl`)).trim().split("\n");
  const out = new Set<string>();
  for (const l of lines) {
    out.add(`${JSON.parse(l).decoded.split("\n")[0]}\n`);
    if (out.size === count) break;
  }
  return [...out];
}

async function withExport<T>(
  ckpt: string,
  fn: (decoder: OnnxDecoder, path: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir();
  try {
    await exportOnnx({ ckpt, out: `${dir}/m.onnx` });
    const decoder = await OnnxDecoder.open(`${dir}/m.onnx`);
    try {
      return await fn(decoder, `${dir}/m.onnx`);
    } finally {
      await decoder.release();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test(
  "onnx engine: --top-k 1 draws the libtorch engine's tokens for 50 prompts (fixtures/base)",
  opts,
  async () => {
    const tok = loadTokenizer();
    const stop = tok.tokenToId("\n")!;
    using model = loadModel(await readCheckpoint(BASE), { onNotice: () => {} });
    await withExport(BASE, async (decoder) => {
      const ps = await prompts(50);
      assert.equal(ps.length, 50);
      let same = 0;
      for (const p of ps) {
        const ids = tok.encode(p);
        const o = { seed: 7, max_new_tokens: 80, temperature: 1, top_k: 1, stop_id: stop, first_index: 0 };
        const [a] = await model.generate(ids, 1, o);
        const [b] = await sampleOnnx(decoder, ids, 1, o);
        if (a.join() === b.join()) same++;
        else console.log(`${JSON.stringify(p)}: libtorch ${a.length} tokens, onnx ${b.length}`);
      }
      assert.equal(same, 50);
    });
  },
);

Deno.test(
  "onnx engine: the same seeds give the libtorch engine's samples at t=1 (≥ 95% of 200)",
  opts,
  async () => {
    const tok = loadTokenizer();
    const stop = tok.tokenToId("\n")!;
    using model = loadModel(await readCheckpoint(BASE), { onNotice: () => {} });
    await withExport(BASE, async (decoder) => {
      const figures: string[] = [];
      for (const top_k of [10, 0]) {
        let same = 0;
        let total = 0;
        for (const p of await prompts(4)) {
          const ids = tok.encode(p);
          const o = { seed: 1337, max_new_tokens: 120, temperature: 1, top_k, stop_id: stop, first_index: 0 };
          const a = await model.generate(ids, 50, o);
          const b = await sampleOnnx(decoder, ids, 50, o);
          for (let i = 0; i < 50; i++) same += a[i].join() === b[i].join() ? 1 : 0;
          total += 50;
        }
        figures.push(`top_k ${top_k}: ${same}/${total} identical samples`);
        if (top_k === 10) assert.ok(same / total >= 0.95, figures.at(-1));
        else assert.ok(same / total >= 0.9, figures.at(-1));
      }
      console.log(figures.join("; "));
    });
  },
);

Deno.test(
  "onnx engine: past block_size the window slides as in the libtorch engine (ckpt_tiny, 300 tokens)",
  opts,
  async () => {
    const tok = loadTokenizer();
    using model = loadModel(await readCheckpoint(TINY), { onNotice: () => {} });
    await withExport(TINY, async (decoder) => {
      // a prompt longer than the block (cropped to its last 128 tokens), and a short one
      const bytes = await Deno.readFile(`${ORACLE}tokenizer/train.bin`);
      const long = Array.from(new Uint16Array(bytes.buffer, 0, 150));
      for (const ids of [tok.encode("data_Na2Cl2\n"), long]) {
        const o = { seed: 3, max_new_tokens: 300, temperature: 1, top_k: 1, stop_id: -1, first_index: 0 };
        const a = await model.generate(ids, 2, o);
        const b = await sampleOnnx(decoder, ids, 2, o);
        assert.equal(b[0].length, 300);
        assert.deepEqual(b, a);
      }
      // stream independence: sample k does not depend on the batch cut
      const ids = tok.encode("data_Na2Cl2\n");
      const o = { seed: 11, max_new_tokens: 40, temperature: 1, top_k: 0, stop_id: -1 };
      const all = await sampleOnnx(decoder, ids, 3, { ...o, first_index: 0 });
      assert.deepEqual(await sampleOnnx(decoder, ids, 1, { ...o, first_index: 2 }), [all[2]]);
    });
  },
);

Deno.test("onnx engine: score agrees with the libtorch engine within 1e-4", opts, async () => {
  const tok = loadTokenizer();
  const lines = (await Deno.readTextFile(`${ORACLE}tokenizer/preprocessed.jsonl`)).trim().split("\n").slice(
    0,
    5,
  );
  let worst = 0;
  for (const ckpt of [TINY, BASE]) {
    using model = loadModel(await readCheckpoint(ckpt), { onNotice: () => {} });
    await withExport(ckpt, async (decoder) => {
      for (const l of lines) {
        const ids = tok.encode(JSON.parse(l).decoded);
        const a = await scoreIds(model, ids);
        const b = await scoreIdsOnnx(decoder, ids);
        assert.equal(b.predicted, a.predicted);
        assert.ok(Math.abs(a.loss - b.loss) < 1e-4, `${ckpt}: loss ${a.loss} vs ${b.loss}`);
        worst = Math.max(worst, Math.abs(a.loss - b.loss));
      }
    });
  }
  console.log(`max |Δloss| onnx vs libtorch over 10 scores: ${worst.toExponential(2)}`);
});

Deno.test("sample/score --engine onnx: files, manifest with engine and model hash, and one-line errors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await exportOnnx({ ckpt: TINY, out: `${dir}/tiny.onnx` });
    const r = await generateOnnx({
      model: `${dir}/tiny.onnx`,
      prompt: "Na2Cl2",
      out: `${dir}/s`,
      num_samples: 3,
      batch: 2,
      max_new_tokens: 30,
      seed: 5,
    });
    assert.deepEqual(r.files, ["sample_1.cif", "sample_2.cif", "sample_3.cif"]);
    const m = JSON.parse(JSON.stringify(r.manifest));
    assert.equal(m.engine, "onnx");
    assert.match(m.model.sha256, /^[0-9a-f]{64}$/);
    assert.equal(m.settings.top_k, 10);
    assert.equal(m.prompt, "data_Na2Cl2\n");
    for (const f of r.files) {
      assert.ok((await Deno.readTextFile(`${dir}/s/${f}`)).startsWith("data_Na2Cl2\n"));
    }
    // batch 3 writes the same samples as batch 2
    await generateOnnx({
      model: `${dir}/tiny.onnx`,
      prompt: "Na2Cl2",
      out: `${dir}/t`,
      num_samples: 3,
      batch: 3,
      max_new_tokens: 30,
      seed: 5,
    });
    for (const f of r.files) {
      assert.equal(await Deno.readTextFile(`${dir}/t/${f}`), await Deno.readTextFile(`${dir}/s/${f}`));
    }
    const run = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${ROOT}tasks/crystallm.ts`, ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const noModel = await run(["sample", "--engine", "onnx", "--prompt", "Na2Cl2", "--out", `${dir}/x`]);
    assert.equal(noModel.code, 2);
    assert.match(new TextDecoder().decode(noModel.stderr), /--engine onnx needs --model/);
    const bad = await run([
      "sample",
      "--engine",
      "onnx",
      "--model",
      `${dir}/s/sample_1.cif`,
      "--prompt",
      "Na2Cl2",
      "--out",
      `${dir}/x`,
    ]);
    assert.equal(bad.code, 2);
    assert.match(new TextDecoder().decode(bad.stderr), /Cannot .*ONNX model/);
    const scored = await run([
      "score",
      "--engine",
      "onnx",
      "--model",
      `${dir}/tiny.onnx`,
      `${dir}/s/sample_1.cif`,
    ]);
    assert.equal(scored.code, 0, new TextDecoder().decode(scored.stderr));
    const line = JSON.parse(new TextDecoder().decode(scored.stdout).trim());
    assert.ok(Number.isFinite(line.loss) && line.loss > 0);
    const badOpset = await run(["export", "onnx", "--ckpt", TINY, "--out", `${dir}/y.onnx`, "--opset", "13"]);
    assert.equal(badOpset.code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export is a command of the crystallm program", () => {
  assert.ok(buildProgram().commands.some((c) => c.name() === "export"));
});
