/**
 * Post-processing a folder of generated CIFs, as upstream's `bin/postprocess.py`
 * does for a directory: every `*.cif` is written under the same name, failures are
 * reported and counted but never dropped.
 *
 * @module
 */
import { join } from "node:path";
import { readCifSet } from "../cif/cif_set.ts";
import { postprocess } from "./postprocess.ts";

/** What {@link postprocessDir} did. */
export interface PostprocessDirResult {
  /** Files read (and written). */
  n_files: number;
  /** Files written behind upstream's warning comment. */
  n_failures: number;
  /** Names of the failed files. */
  failures: string[];
  /** Output folder. */
  out_dir: string;
  /**
   * The run's report (the counts above, the input folder, upstream's version). `crystallm
   * postprocess` writes it as `manifest.json`; `crystallm run` records it in the stage's manifest.
   */
  manifest: Record<string, unknown>;
}

/** Options for {@link postprocessDir}. */
export interface PostprocessDirOptions {
  /** Receives upstream's message for each failure. @default {console.log} */
  onFailure?: (message: string) => void;
}

/**
 * Post-process every `*.cif` of `inDir` (a folder or a `.tar.gz`) into `outDir`, under the same names.
 *
 * @param inDir Folder of generated CIFs, or a `.tar.gz` of them.
 * @param outDir Output folder (created when missing).
 * @param options Where failure messages go.
 * @returns Counts and the names of failed files.
 * @throws {Error} When `inDir` does not exist.
 * @example
 * ```ts
 * import { postprocessDir } from "./postprocess_dir.ts";
 * import assert from "node:assert/strict";
 * const inDir = Deno.makeTempDirSync(), outDir = Deno.makeTempDirSync();
 * Deno.writeTextFileSync(`${inDir}/bad.cif`, "data_X\n");
 * const r = postprocessDir(inDir, outDir, { onFailure: () => {} });
 * assert.equal(r.n_failures, 1);
 * assert.ok(Deno.readTextFileSync(`${outDir}/bad.cif`).startsWith("# WARNING"));
 * ```
 */
export function postprocessDir(
  inDir: string,
  outDir: string,
  options: PostprocessDirOptions = {},
): PostprocessDirResult {
  const onFailure = options.onFailure ?? ((m: string) => console.log(m));
  const files = readCifSet(inDir);
  Deno.mkdirSync(outDir, { recursive: true });
  const failures: string[] = [];
  for (const { name, text } of files) {
    const r = postprocess(text, { file: name });
    if (!r.ok) {
      failures.push(name);
      onFailure(r.printed);
    }
    Deno.writeTextFileSync(join(outDir, name), r.output);
  }
  const result = { n_files: files.length, n_failures: failures.length, failures, out_dir: outDir };
  const manifest = {
    stage: "postprocess",
    upstream: "CrystaLLM bin/postprocess.py @ 8e81a86",
    in_dir: inDir,
    ...result,
  };
  return { ...result, manifest };
}
