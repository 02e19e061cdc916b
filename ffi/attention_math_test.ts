/**
 * CRYSTALLM_ATTENTION=math (upstream's explicit softmax(QK^T)V, a diagnosis switch for GPUs)
 * computes the same function as the fused kernels: the oracle's logits within 1e-4, with and
 * without the KV cache. Run in a child process because the library reads the variable once.
 */
import assert from "node:assert/strict";
import { NO_LIBTORCH } from "./_test_utils.ts";

const ORACLE = new URL("../../shared/oracle/model/", import.meta.url).pathname;

const CHILD = `
import { loadModel, readCheckpoint } from "${new URL("../checkpoint/mod.ts", import.meta.url).href}";
const oracle = JSON.parse(await Deno.readTextFile("${ORACLE}logits.json"));
const ref = new Float32Array((await Deno.readFile("${ORACLE}logits.bin")).buffer);
using m = loadModel(await readCheckpoint("${ORACLE}ckpt_tiny.pt"), { onNotice: () => {} });
let worst = 0;
for (const e of oracle.entries.filter((e) => e.model === "ckpt_tiny")) {
  const [B, T] = e.shape;
  const out = await m.forward(Int32Array.from(e.input_ids.flat()), B, T);
  const r = ref.subarray(e.offset_floats, e.offset_floats + e.n_floats);
  for (let i = 0; i < r.length; i++) worst = Math.max(worst, Math.abs(out.logits[i] - r[i]));
}
// greedy sampling through the KV cache equals argmax of full forward passes
const prompt = [1, 2, 3];
const [sample] = await m.generate(prompt, 1, { top_k: 1, max_new_tokens: 12, seed: 1 });
const ids = [...prompt];
for (const tok of sample) {
  const { logits } = await m.forward(Int32Array.from(ids), 1, ids.length);
  const last = logits.subarray((ids.length - 1) * m.config.vocab_size);
  let best = 0;
  for (let v = 1; v < last.length; v++) if (last[v] > last[best]) best = v;
  if (best !== tok) throw new Error("cache mismatch at " + ids.length);
  ids.push(tok);
}
console.log(JSON.stringify({ worst }));
`;

Deno.test("CRYSTALLM_ATTENTION=math gives the oracle's logits and the cached decode", { ignore: NO_LIBTORCH }, async () => {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(file, CHILD);
  try {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", new URL("../deno.json", import.meta.url).pathname, file],
      env: { CRYSTALLM_ATTENTION: "math", CRYSTALLM_CPU_KERNELS: "off", CRYSTALLM_NUM_THREADS: "2" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(r.stderr);
    assert.equal(r.code, 0, err.slice(-1500));
    const { worst } = JSON.parse(new TextDecoder().decode(r.stdout).trim().split("\n").pop()!);
    assert.ok(worst <= 1e-4, `max abs diff ${worst}`);
  } finally {
    await Deno.remove(file);
  }
});
