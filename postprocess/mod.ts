/**
 * Post-processing of generated CIFs, as upstream CrystaLLM's `bin/postprocess.py`.
 *
 * ```ts
 * import { postprocess } from "./mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(postprocess("data_X\n").ok, false);
 * ```
 *
 * @module
 */
export * from "./postprocess.ts"; // postprocess(): one CIF, never throws
export * from "./postprocess_dir.ts"; // postprocessDir(): a folder, with manifest.json
