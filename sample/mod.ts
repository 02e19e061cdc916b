/**
 * Sampling and scoring CIFs with a trained model.
 *
 * ```ts ignore
 * import { generate, score } from "./mod.ts";
 * await generate({ ckpt: "runs/base", prompt: "data_Na2Cl2\n", out: "out/samples", num_samples: 4 });
 * const results = await score("runs/base", ["out/samples/sample_1.cif"]);
 * ```
 *
 * @module
 */
// defines: generate(), resolvePrompt(), GenerateOptions, GenerateResult, PromptError
export * from "./generate.ts";
// defines: score(), scoreIds(), scoreChunks(), ScoreResult
export * from "./score.ts";
