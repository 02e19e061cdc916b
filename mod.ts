/**
 * crystallm-harness: a reproducibility harness for CrystaLLM.
 *
 * The public API, one namespace per pipeline stage, in pipeline order:
 *
 * ```ts
 * import { cif, dataset } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const { ids } = dataset.encodeCif("data_Na2Cl2\n", { kind: "prompt" });
 * assert.equal(dataset.loadTokenizer().decode(ids), "data_Na2Cl2\n");
 * assert.equal(cif.Composition.parse("Na2Cl2").reducedFormula, "NaCl");
 * ```
 *
 * @module
 */
// helpers below every stage: hashes, repository and shared-data paths, seeded random numbers
export * as core from "./core/mod.ts";
// shared domain code: CIF reading/writing, structures, compositions, elements
export * as cif from "./cif/mod.ts";
// space groups (the spglib 2.0.2 port; moyo as a cross-check), symmetrized CifWriter, operator tables
export * as symmetry from "./symmetry/mod.ts";
// 1. dataset: preprocess, tokenize, token files, meta.pkl, subset, build
export * as dataset from "./data/mod.ts";
// upstream ckpt.pt files and the pickle subset they use
export * as pickle from "./pickle/mod.ts";
export * as checkpoint from "./checkpoint/mod.ts";
// the libtorch GPT library (the only Deno.dlopen)
export * as ffi from "./ffi/mod.ts";
// 2. train / finetune / resume
export * as train from "./train/mod.ts";
// 3. generate: batched KV-cache sampling, scoring
export * as generate from "./sample/mod.ts";
// 4. postprocess: upstream bin/postprocess.py
export * as postprocess from "./postprocess/mod.ts";
// 5. evaluate: validity checks and set metrics; structure matching and CSP metrics
export * as evaluate from "./evaluate/mod.ts";
export * as match from "./match/mod.ts";
// 6. summarize: tables and the HTML report
export * as summarize from "./summarize/mod.ts";
// 7. audit: snapshots and run diffs
export * as audit from "./audit/mod.ts";
// experiments as data: the runner
export * as run from "./run/mod.ts";
