import assert from "node:assert/strict";
import { join } from "node:path";
import { ExperimentError, resolveExperiment } from "./experiment.ts";
import { runExperiment } from "./runner.ts";
import { hashFile } from "../core/hash.ts";

const TINY = new URL("../../shared/oracle/model/ckpt_tiny.pt", import.meta.url).pathname;

Deno.test("engine: onnx runs an export stage and samples the exported model with onnxruntime (files, model hash, checkpoint hash)", async () => {
  const out = await Deno.makeTempDir();
  try {
    const spec = resolveExperiment({
      experiment: "onnx_engine",
      models: { tiny: { checkpoint: TINY, engine: "onnx" } },
      prompts: ["data_Na2Cl2\n"],
      sample: { n: 3, max_new_tokens: 40, top_k: 5, seed: 3 },
    }, "onnx_engine.yaml");
    assert.equal(spec.models.tiny.engine, "onnx");
    const r = await runExperiment(spec, { outRoot: out, log: () => {} });
    const raw = join(r.dir, "sample", "tiny", "Na2Cl2", "t1", "raw");
    const sampled = JSON.parse(await Deno.readTextFile(join(raw, "manifest.json")));
    assert.equal(sampled.params.engine, "onnx");
    assert.equal(sampled.outputs.checkpoint_sha256, await hashFile(TINY));
    assert.equal(sampled.inputs.model.sha256, await hashFile(join(r.dir, "export", "tiny", "model.onnx")));
    const files = [...Deno.readDirSync(raw)].map((e) => e.name).filter((n) => n.endsWith(".cif"));
    assert.equal(files.length, 3);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a whole experiment with engine: onnx runs with no libtorch library (crystallm run, CRYSTALLM_LIB unusable)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const base = new URL("../fixtures/base/ckpt.pt", import.meta.url).pathname;
    const run = async (engine: string) => {
      await Deno.writeTextFile(
        `${dir}/onnx_sweep.yaml`,
        [
          "experiment: onnx_sweep",
          "models:",
          `  base: { checkpoint: ${JSON.stringify(base)}, engine: ${engine} }`,
          'prompts: ["data_Na2Cl2\\n", "data_Mg4O4\\n"]',
          "sample: { n: 2, max_new_tokens: 60, top_k: 5, seed: 123 }",
        ].join("\n") + "\n",
      );
      return await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          new URL("../tasks/crystallm.ts", import.meta.url).pathname,
          "run",
          `${dir}/onnx_sweep.yaml`,
          "--out",
          `${dir}/out`,
        ],
        env: { CRYSTALLM_LIB: `${dir}/no-such-libcrystallm.so` },
        stdout: "piped",
        stderr: "piped",
      }).output();
    };
    // the same experiment with the libtorch engine cannot run there
    assert.notEqual((await run("libtorch")).code, 0);
    const out = await run("onnx");
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    for (const p of ["Na2Cl2", "Mg4O4"]) {
      const m = JSON.parse(
        await Deno.readTextFile(`${dir}/out/onnx_sweep/sample/base/${p}/t1/raw/manifest.json`),
      );
      assert.equal(m.params.engine, "onnx");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("engine: anything but libtorch or onnx is refused naming the file and key", () => {
  assert.throws(
    () =>
      resolveExperiment({ models: { a: { checkpoint: "x", engine: "tvm" } }, prompts: ["NaCl"] }, "bad.yaml"),
    (e: Error) =>
      e instanceof ExperimentError && /bad\.yaml: models\.a\.engine must be libtorch or onnx/.test(e.message),
  );
});

Deno.test("checkpoint: <model.onnx> with engine: onnx samples the exported model as it is: no export stage, the same samples, the checkpoint's hash from its metadata", async () => {
  const out = await Deno.makeTempDir();
  try {
    const { exportOnnx } = await import("../export/onnx_export.ts");
    const model = join(out, "tiny.onnx");
    await exportOnnx({ ckpt: TINY, out: model });
    const sample = { n: 3, max_new_tokens: 40, top_k: 5, seed: 3 };
    const run = (name: string, checkpoint: string) =>
      runExperiment(
        resolveExperiment({
          experiment: name,
          models: { tiny: { checkpoint, engine: "onnx" } },
          prompts: ["data_Na2Cl2\n"],
          sample,
        }, `${name}.yaml`),
        { outRoot: out, log: () => {} },
      );
    const fromCkpt = await run("from_ckpt", TINY);
    const fromOnnx = await run("from_onnx", model);
    assert.deepEqual(fromOnnx.checkpoints.tiny, { path: model, sha256: await hashFile(TINY) });
    assert.throws(() => Deno.statSync(join(fromOnnx.dir, "export")), Deno.errors.NotFound);
    const raw = (dir: string) => join(dir, "sample", "tiny", "Na2Cl2", "t1", "raw");
    const m = JSON.parse(await Deno.readTextFile(join(raw(fromOnnx.dir), "manifest.json")));
    assert.deepEqual(Object.keys(m.inputs), ["model"]);
    assert.equal(m.outputs.checkpoint_sha256, await hashFile(TINY));
    for (const k of [1, 2, 3]) {
      assert.equal(
        await Deno.readTextFile(join(raw(fromOnnx.dir), `sample_${k}.cif`)),
        await Deno.readTextFile(join(raw(fromCkpt.dir), `sample_${k}.cif`)),
      );
    }
    assert.deepEqual(fromOnnx.metrics, fromCkpt.metrics);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("an .onnx checkpoint without engine: onnx is refused naming the file and key", () => {
  assert.throws(
    () => resolveExperiment({ models: { a: { checkpoint: "m/a.onnx" } }, prompts: ["NaCl"] }, "bad.yaml"),
    (e: Error) =>
      e instanceof ExperimentError &&
      /bad\.yaml: models\.a\.checkpoint m\/a\.onnx is an ONNX model: only the ONNX engine samples it \(set engine: onnx\)/
        .test(e.message),
  );
});
