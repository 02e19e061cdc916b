/**
 * Where the repository and the shared, read-only data are.
 *
 * Whole corpora (`perov_5`, `carbon_24`, the AFLOW prototypes) and the oracle files are never
 * copied into the repository: every checkout and CI have them at `../shared` beside the
 * repository root, or wherever `CRYSTALLM_SHARED` points.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of the checkout (the folder holding deno.json), without a trailing slash. */
export const REPO_ROOT: string = resolve(fileURLToPath(new URL("..", import.meta.url)));

/** Thrown when a file under the shared data folder is not where it should be. */
export class SharedDataMissingError extends Error {
  override name = "SharedDataMissingError";
  /** @param path The path that was looked for. */
  constructor(readonly path: string) {
    super(
      `Cannot find shared data: ${path} is missing; put the shared data at ../shared beside the ` +
        `repository or set CRYSTALLM_SHARED to its folder`,
    );
  }
}

/**
 * The shared data folder: `$CRYSTALLM_SHARED` (when set and not empty), else `../shared`
 * beside the repository root.
 *
 * @returns An absolute path (it may not exist).
 * @example
 * ```ts
 * import { sharedDir } from "./paths.ts";
 * console.log(`shared data: ${sharedDir()}`);
 * ```
 */
export function sharedDir(): string {
  const env = Deno.env.get("CRYSTALLM_SHARED");
  return env ? resolve(env) : resolve(REPO_ROOT, "..", "shared");
}

/**
 * Resolve a path inside the shared folder and check that it exists.
 *
 * @param rel Path relative to the shared folder, e.g. `oracle/tokenizer/meta.pkl`.
 * @returns The absolute path.
 * @throws {SharedDataMissingError} When the file or folder does not exist.
 */
export function sharedPath(rel: string): string {
  const p = join(sharedDir(), rel);
  if (!existsSync(p)) throw new SharedDataMissingError(p);
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
