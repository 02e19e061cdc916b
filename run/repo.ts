/**
 * The repository root, for resolving experiment paths and hashing code.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of the checkout (the folder holding deno.json). */
export const REPO_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), "..");
