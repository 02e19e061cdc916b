/**
 * Parity with upstream CrystaLLM (8e81a86) through ../shared/oracle/model/: logits and
 * losses of its checkpoints, and a checkpoint we write read back by Debian's python3-torch.
 * Works like llm.c's check_tensor: name the tensor, state the tolerance, print first values.
 */
import assert from "node:assert/strict";
import { checkpointFromModel, loadModel, readCheckpoint, writeCheckpoint } from "../../checkpoint/mod.ts";
import { NO_LIBTORCH } from "../../ffi/_test_utils.ts";
import { hasPython, runPython } from "../../pickle/_test_utils.ts";

const ORACLE = new URL("../../../shared/oracle/model/", import.meta.url).pathname;
const TOOLS = new URL("../../tools/", import.meta.url).pathname;
const oracle = JSON.parse(await Deno.readTextFile(`${ORACLE}logits.json`));
const oracleLogits = new Float32Array((await Deno.readFile(`${ORACLE}logits.bin`)).buffer);

/** Logits tolerance: the largest absolute difference from upstream's PyTorch logits. */
const LOGITS_TOL = 1e-4;
/** Loss tolerance: the mean of ~100 log-probs, so float32 rounding only. */
const LOSS_TOL = 1e-5;

interface Entry {
  model: string;
  name: string;
  input_ids: number[] | number[][];
  target_ids: number[] | number[][];
  shape: [number, number, number];
  loss: number;
  offset_floats: number;
  n_floats: number;
}

function checkTensor(label: string, actual: Float32Array, expected: Float32Array, tol: number): number {
  assert.equal(actual.length, expected.length, `${label}: length`);
  let maxDiff = 0;
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= maxDiff)) {
      maxDiff = d;
      worst = i;
    }
  }
  if (!(maxDiff <= tol)) {
    const first = (a: Float32Array) => Array.from(a.subarray(0, 5), (x) => x.toFixed(6)).join(", ");
    assert.fail(
      `${label}: max abs diff ${maxDiff} at ${worst} > tol ${tol}\n  ours:   ${first(actual)}\n  oracle: ${
        first(expected)
      }`,
    );
  }
  return maxDiff;
}

function flat(ids: number[] | number[][]): Int32Array {
  return Int32Array.from((ids as unknown[]).flat() as number[]);
}

const entries = oracle.entries as Entry[];

Deno.test("model logits and loss match the oracle within 1e-4", { ignore: NO_LIBTORCH }, async (t) => {
  for (const modelName of ["ckpt_tiny", "ckpt_tiny_train_py"]) {
    using model = loadModel(await readCheckpoint(`${ORACLE}${modelName}.pt`));
    for (const e of entries.filter((e) => e.model === modelName)) {
      await t.step(`${modelName} ${e.name}`, async () => {
        const [B, T] = e.shape;
        const out = await model.forward(flat(e.input_ids), B, T, { targets: flat(e.target_ids) });
        const ref = oracleLogits.subarray(e.offset_floats, e.offset_floats + e.n_floats);
        const diff = checkTensor(`${modelName}/${e.name} logits (B, T, V)`, out.logits!, ref, LOGITS_TOL);
        assert.ok(Math.abs(out.loss - e.loss) <= LOSS_TOL, `${e.name} loss ${out.loss} vs oracle ${e.loss}`);
        console.log(
          `  ${modelName}/${e.name}: logits max abs diff ${diff.toExponential(2)}, loss ${out.loss}`,
        );
      });
    }
  }
});

Deno.test("a checkpoint we write is torch.load-ed by python3-torch and gives the oracle's logits", {
  ignore: NO_LIBTORCH || !hasPython(["torch"]),
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const src = await readCheckpoint(`${ORACLE}ckpt_tiny.pt`);
    let path: string;
    {
      using model = loadModel(src);
      // the weights go through the library and back out, as a training run saves them
      const ckpt = checkpointFromModel(model, { iter_num: 0, best_val_loss: 1e9, config: {} });
      path = `${dir}/ckpt.pt`;
      await writeCheckpoint(path, ckpt);
    }
    for (const e of entries.filter((e) => e.model === "ckpt_tiny")) {
      const ids = Array.isArray(e.input_ids[0]) ? e.input_ids : [e.input_ids];
      const out = await runPython(
        `import sys, runpy; sys.argv = ['nanogpt_ref.py', 'logits', sys.argv[1], '--threads', '1']; ` +
          `runpy.run_path('${TOOLS}nanogpt_ref.py', run_name='__main__')`,
        new TextEncoder().encode(JSON.stringify(ids)),
        [path],
      );
      const logits = new Float32Array(out.buffer, out.byteOffset, out.byteLength / 4);
      const ref = oracleLogits.subarray(e.offset_floats, e.offset_floats + e.n_floats);
      const diff = checkTensor(`python(ours ckpt)/${e.name} logits`, logits, ref, LOGITS_TOL);
      console.log(`  python3-torch on our ckpt.pt, ${e.name}: max abs diff ${diff.toExponential(2)}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
