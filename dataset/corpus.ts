/**
 * Where the shared, read-only corpora live.
 *
 * Whole corpora (`perov_5`, `carbon_24`, the AFLOW prototypes, the oracle) are never
 * copied into the repository: every checkout and CI have them at `../shared` beside
 * the repository root, or wherever `CRYSTALLM_SHARED` points.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Thrown when a corpus file is not where it should be. */
export class CorpusMissingError extends Error {
  override name = "CorpusMissingError";
  /** @param path The path that was looked for. */
  constructor(readonly path: string) {
    super(
      `Cannot find corpus file: ${path} is missing; put the shared data at ../shared beside the ` +
        `repository or set CRYSTALLM_SHARED to its folder`,
    );
  }
}

/** The repository root (the folder above `dataset/`). */
export const REPO_ROOT: string = fileURLToPath(new URL("..", import.meta.url));

/**
 * The shared data folder: `$CRYSTALLM_SHARED`, else `../shared` beside the repository root.
 *
 * @returns An absolute path (it may not exist).
 */
export function sharedDir(): string {
  const env = Deno.env.get("CRYSTALLM_SHARED");
  return env ? resolve(env) : resolve(REPO_ROOT, "..", "shared");
}

/**
 * Resolve a path inside the shared folder and check that it exists.
 *
 * @param rel Path relative to the shared folder, e.g. `data/crystallm-benchmarks/perov_5/val.csv.gz`.
 * @returns The absolute path.
 * @throws {CorpusMissingError} When the file or folder does not exist.
 * @example
 * ```ts ignore
 * import { sharedPath } from "./corpus.ts";
 * const perov = sharedPath("data/crystallm-benchmarks/perov_5/val.csv.gz");
 * ```
 */
export function sharedPath(rel: string): string {
  const p = join(sharedDir(), rel);
  if (!existsSync(p)) throw new CorpusMissingError(p);
  return p;
}

/**
 * True when a shared file exists (tests use this to skip, saying why).
 *
 * @param rel Path relative to the shared folder.
 * @returns Whether it exists.
 */
export function hasShared(rel: string): boolean {
  return existsSync(join(sharedDir(), rel));
}
