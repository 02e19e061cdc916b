/**
 * Small private helpers shared by the dataset commands: hashing, manifests and a
 * seeded random number generator.
 *
 * @module
 */
import { join } from "node:path";
import { hashFile, sha256 } from "../run/fingerprint.ts";

/** Hex sha256 of some bytes or text (run/fingerprint.ts's {@linkcode sha256}). */
export function sha256Hex(data: Uint8Array | string): Promise<string> {
  return Promise.resolve(sha256(data));
}

/** Hex sha256 of a file, streamed (run/fingerprint.ts's {@linkcode hashFile}). */
export function sha256File(path: string): Promise<string> {
  return hashFile(path);
}

/** Write `manifest.json` (two-space JSON, final newline) into a folder: to a temporary name, then renamed. */
export async function writeManifest(dir: string, manifest: unknown): Promise<void> {
  const tmp = join(dir, `.manifest.json.${Deno.pid}.tmp`);
  await Deno.writeTextFile(tmp, JSON.stringify(manifest, null, 2) + "\n");
  await Deno.rename(tmp, join(dir, "manifest.json"));
}

/**
 * mulberry32: a small, fast, well-known 32-bit PRNG. Deterministic for a seed on
 * every platform, which is all a dataset split needs.
 *
 * @param seed Any integer (taken modulo 2^32).
 * @returns A function giving floats in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of a copy, driven by `rand`. */
export function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const a = items.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** True when a path exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
