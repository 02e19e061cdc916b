/**
 * SHA-256 of bytes, files and folder trees, and canonical JSON: the content hashes that
 * stage fingerprints, checkpoints and dataset manifests record.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join, relative } from "node:path";

/**
 * sha256 hex of bytes or text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256 } from "./hash.ts";
 * assert.equal(sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
 * ```
 */
export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * sha256 of a file's contents, streamed (checkpoints can be hundreds of MB).
 *
 * @param path File path.
 * @returns Hex digest.
 */
export async function hashFile(path: string): Promise<string> {
  const h = createHash("sha256");
  using f = await Deno.open(path, { read: true });
  const buf = new Uint8Array(1 << 20);
  for (;;) {
    const n = await f.read(buf);
    if (n === null) break;
    h.update(buf.subarray(0, n));
  }
  return h.digest("hex");
}

/** Files under a directory (recursive), sorted, as paths relative to it. */
export function listFiles(dir: string, filter: (rel: string) => boolean = () => true): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of [...Deno.readDirSync(d)].sort((a, b) => a.name < b.name ? -1 : 1)) {
      const p = join(d, e.name);
      if (e.isDirectory) walk(p);
      else if (e.isFile) {
        const rel = relative(dir, p);
        if (filter(rel)) out.push(rel);
      }
    }
  };
  walk(dir);
  return out;
}

/**
 * Hash a file or a directory tree (names and contents) into one digest.
 *
 * @param path File or directory.
 * @param filter For directories: which relative paths count.
 * @returns Hex digest; a missing path hashes as `"missing"` so that its appearance changes the fingerprint.
 */
export async function hashPath(path: string, filter?: (rel: string) => boolean): Promise<string> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch {
    return "missing";
  }
  if (info.isFile) return await hashFile(path);
  const h = createHash("sha256");
  for (const rel of listFiles(path, filter)) {
    h.update(rel + "\0" + (await hashFile(join(path, rel))) + "\n");
  }
  return h.digest("hex");
}

/** JSON with sorted object keys, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : v,
  );
}
