/**
 * Locating `../shared` (data and oracle files) for tests and benchmarks.
 *
 * The directory is found from `CRYSTALLM_SHARED`, else `../shared` beside the
 * repository. A missing directory is a clear error naming both.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { dirname, join, resolve } from "node:path";

/** Repository root (the folder holding deno.json). */
export const REPO_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Absolute path to the shared folder. */
export function sharedDir(): string {
  return Deno.env.get("CRYSTALLM_SHARED") ?? join(REPO_ROOT, "..", "shared");
}

/**
 * Path of a file under the shared folder.
 *
 * @param rel Path relative to the shared folder, e.g. `oracle/eval/cases.jsonl`.
 * @returns The absolute path.
 * @throws {Error} When the file is missing, saying where it was looked for.
 */
export function sharedPath(rel: string): string {
  const p = join(sharedDir(), rel);
  try {
    Deno.statSync(p);
  } catch {
    throw new Error(
      `Cannot find shared data: ${p} is missing. Put the shared/ folder beside the repository or set CRYSTALLM_SHARED`,
    );
  }
  return p;
}
