/**
 * Stage fingerprints, as `dvc repro` uses them: a stage is unchanged when the hash of its
 * inputs (file contents), parameters and code is. The hashes themselves are core/hash.ts's.
 *
 * @module
 */
import { canonicalJson, sha256 } from "../core/hash.ts";

/**
 * A stage's fingerprint: its name, parameters, input hashes and code version.
 *
 * @param stage Stage name.
 * @param params Parameters (JSON-able).
 * @param inputHashes Input name → content hash.
 * @param codeVersion Hash of the code that runs the stage.
 * @returns Hex digest.
 */
export function fingerprint(
  stage: string,
  params: unknown,
  inputHashes: Record<string, string>,
  codeVersion: string,
): string {
  return sha256(canonicalJson({ stage, params, inputs: inputHashes, code: codeVersion }));
}
