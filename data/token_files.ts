/**
 * Upstream's token files: `train.bin` and `val.bin` are the token ids of all CIFs
 * concatenated, as `numpy.uint16`, little-endian, with no header (`ndarray.tofile`
 * in `bin/tokenize_cifs.py`). nanoGPT's `train.py` reads them with `np.memmap(…, dtype=np.uint16)`.
 *
 * @module
 */

/** Thrown for a token file that is not a whole number of uint16 values. */
export class TokenFileError extends Error {
  override name = "TokenFileError";
}

/**
 * Encode ids as uint16 little-endian bytes.
 *
 * @param ids Token ids (integers 0–65535).
 * @returns The bytes numpy's `tofile` writes for `np.array(ids, dtype=np.uint16)`.
 * @throws {RangeError} For an id that does not fit uint16 (numpy would wrap it silently).
 * @example
 * ```ts
 * import { encodeTokenIds } from "./token_files.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([...encodeTokenIds([124, 370])], [124, 0, 114, 1]);
 * ```
 */
export function encodeTokenIds(ids: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(ids.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) {
      throw new RangeError(`Cannot write token id ${v} at position ${i}: not a uint16`);
    }
    view.setUint16(i * 2, v, true);
  }
  return out;
}

/**
 * Decode uint16 little-endian bytes.
 *
 * @param bytes File contents.
 * @param file File name for the error message.
 * @returns The ids.
 * @throws {TokenFileError} When the byte count is odd.
 */
export function decodeTokenIds(bytes: Uint8Array, file = "token file"): Uint16Array {
  if (bytes.length % 2 !== 0) {
    throw new TokenFileError(
      `Cannot read ${file}: ${bytes.length} bytes is not a whole number of uint16 tokens`,
    );
  }
  const n = bytes.length / 2;
  const out = new Uint16Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = view.getUint16(i * 2, true);
  return out;
}

/**
 * Write a `train.bin`/`val.bin` file.
 *
 * @param path Output path.
 * @param ids Token ids.
 * @example
 * ```ts ignore
 * import { writeTokenFile } from "./token_files.ts";
 * await writeTokenFile("out/train.bin", [124, 54, 90]);
 * ```
 */
export async function writeTokenFile(path: string, ids: ArrayLike<number>): Promise<void> {
  await Deno.writeFile(path, encodeTokenIds(ids));
}

/**
 * Read a `train.bin`/`val.bin` file.
 *
 * @param path Input path.
 * @returns The ids.
 * @throws {TokenFileError} When the file size is odd.
 */
export async function readTokenFile(path: string): Promise<Uint16Array> {
  return decodeTokenIds(await Deno.readFile(path), path);
}
