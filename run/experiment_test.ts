import assert from "node:assert/strict";
import { join } from "node:path";
import { ExperimentError, loadExperiment, promptSlug, promptText, resolveExperiment } from "./experiment.ts";
import { REPO_ROOT } from "../core/paths.ts";

Deno.test("every experiments/*.yaml loads, with and without each of its profiles", () => {
  for (const e of Deno.readDirSync(join(REPO_ROOT, "experiments"))) {
    if (!e.name.endsWith(".yaml")) continue;
    const { spec } = loadExperiment(join(REPO_ROOT, "experiments", e.name));
    // a CSP benchmark takes its prompts from its test CSV
    assert.ok(spec.prompts.length > 0 || spec.benchmark, e.name);
    for (const profile of Object.keys(spec.profiles)) {
      const p = loadExperiment(join(REPO_ROOT, "experiments", e.name), { profile }).spec;
      if (profile === "ci") assert.ok(p.sample.n <= spec.sample.n, e.name);
    }
  }
});

Deno.test("loadExperiment() applies --set overrides and records them in the resolved config", () => {
  const { spec, resolved } = loadExperiment("nacl10", {
    root: REPO_ROOT,
    sets: ["sample.n=50", "models.nacl10.train.max_iters=7"],
  });
  assert.equal(spec.sample.n, 50);
  assert.equal(spec.models.nacl10.train!.max_iters, 7);
  assert.equal((resolved.sample as Record<string, unknown>).n, 50);
  assert.equal(spec.sample.top_k, 5);
});

Deno.test("resolveExperiment() rejects unknown keys naming key and file", () => {
  assert.throws(
    () =>
      resolveExperiment(
        { models: { a: { checkpoint: "x" } }, prompts: ["NaCl"], sample: { nn: 3 } },
        "bad.yaml",
      ),
    (e: Error) => e instanceof ExperimentError && /bad\.yaml: unknown key "sample\.nn"/.test(e.message),
  );
  assert.throws(
    () => resolveExperiment({ models: { a: {} }, prompts: ["NaCl"] }, "bad.yaml"),
    /exactly one of checkpoint, train/,
  );
});

Deno.test("experiment prompts go through upstream's get_prompt (sample/prompt.ts)", () => {
  assert.equal(promptText("data_Na2Cl2"), "data_Na2Cl2\n");
  assert.equal(promptText("BaTiO3"), "data_Ba1Ti1O3\n");
  assert.ok(promptText("Na2Cl2 Fm-3m").endsWith("\n_symmetry_space_group_name_H-M Fm-3m\n"));
  assert.equal(promptSlug("data_Na2Cl2\n"), "Na2Cl2");
});

Deno.test("--set device=… and dtype=… reach sampling; a bad device is refused naming the file", () => {
  const { spec } = loadExperiment("nacl10", { root: REPO_ROOT, sets: ["device=cuda:1", "dtype=bfloat16"] });
  assert.equal(spec.device, "cuda:1");
  assert.equal(spec.dtype, "bfloat16");
  assert.equal(spec.sample.device, "cuda:1");
  assert.equal(spec.sample.dtype, "bfloat16");
  // a section's own setting wins over the experiment-wide one
  const own = loadExperiment("nacl10", { root: REPO_ROOT, sets: ["device=cuda", "sample.device=cpu"] }).spec;
  assert.equal(own.sample.device, "cpu");
  // absent: nothing changes (CPU runs keep their stage fingerprints)
  const plain = loadExperiment("nacl10", { root: REPO_ROOT }).spec;
  assert.equal(plain.device, undefined);
  assert.equal(plain.sample.device, "cpu");
  assert.throws(() => loadExperiment("nacl10", { root: REPO_ROOT, sets: ["device=gpu"] }), (e: Error) =>
    e instanceof ExperimentError && /nacl10\.yaml: device must be cpu, cuda or cuda:N, got "gpu"/.test(e.message));
  assert.throws(() => loadExperiment("nacl10", { root: REPO_ROOT, sets: ["dtype=fp8"] }), /dtype must be one of/);
});
