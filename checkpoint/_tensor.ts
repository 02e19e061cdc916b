/**
 * Tensors as `torch.save` stores them: a typed storage in `data/<key>` plus
 * `_rebuild_tensor_v2(storage, offset, size, stride, ...)` in the pickle. Private helpers.
 *
 * @module
 */
import { PyGlobal, tuple } from "../pickle/mod.ts";

/** A float tensor read from or written to a checkpoint: contiguous, row-major. */
export interface Tensor {
  /** Shape; `[]` for a 0-d tensor. */
  shape: number[];
  /** Values as float32, row-major, whatever the stored dtype was. */
  data: Float32Array;
  /** dtype in the file, e.g. `float32`, `bfloat16`. */
  dtype: string;
}

/** torch storage class name → dtype name and element size. */
export const STORAGE_TYPES: Record<string, { dtype: string; bytes: number }> = {
  FloatStorage: { dtype: "float32", bytes: 4 },
  DoubleStorage: { dtype: "float64", bytes: 8 },
  HalfStorage: { dtype: "float16", bytes: 2 },
  BFloat16Storage: { dtype: "bfloat16", bytes: 2 },
  LongStorage: { dtype: "int64", bytes: 8 },
  IntStorage: { dtype: "int32", bytes: 4 },
  ShortStorage: { dtype: "int16", bytes: 2 },
  CharStorage: { dtype: "int8", bytes: 1 },
  ByteStorage: { dtype: "uint8", bytes: 1 },
  BoolStorage: { dtype: "bool", bytes: 1 },
};

/** A storage resolved from a persistent id: raw bytes plus dtype. */
export interface Storage {
  key: string;
  dtype: string;
  bytes: Uint8Array;
}

function f16(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/**
 * Decode `count` elements of a storage, starting at element `offset`, as float32.
 */
export function storageToFloat32(storage: Storage, offset: number, count: number): Float32Array {
  const b = storage.bytes;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Float32Array(count);
  switch (storage.dtype) {
    case "float32":
      if ((b.byteOffset + offset * 4) % 4 === 0) {
        out.set(new Float32Array(b.buffer, b.byteOffset + offset * 4, count));
      } else {
        for (let i = 0; i < count; i++) out[i] = view.getFloat32((offset + i) * 4, true);
      }
      break;
    case "float64":
      for (let i = 0; i < count; i++) out[i] = view.getFloat64((offset + i) * 8, true);
      break;
    case "float16":
      for (let i = 0; i < count; i++) out[i] = f16(view.getUint16((offset + i) * 2, true));
      break;
    case "bfloat16": {
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u[i] = view.getUint16((offset + i) * 2, true) << 16;
      break;
    }
    case "int64":
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64((offset + i) * 8, true));
      break;
    case "int32":
      for (let i = 0; i < count; i++) out[i] = view.getInt32((offset + i) * 4, true);
      break;
    case "int16":
      for (let i = 0; i < count; i++) out[i] = view.getInt16((offset + i) * 2, true);
      break;
    case "int8":
      for (let i = 0; i < count; i++) out[i] = view.getInt8(offset + i);
      break;
    case "uint8":
    case "bool":
      for (let i = 0; i < count; i++) out[i] = b[offset + i];
      break;
    default:
      throw new Error(`Cannot read checkpoint: unsupported storage dtype ${storage.dtype}`);
  }
  return out;
}

/** Row-major strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

/** Product of a shape's dimensions (1 for a 0-d tensor). */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * `torch._utils._rebuild_tensor_v2` in TypeScript: view a storage with offset, size and
 * stride, and materialise it contiguous as float32.
 */
export function rebuildTensor(
  storage: Storage,
  offset: number,
  size: readonly number[],
  stride: readonly number[],
): Tensor {
  const shape = [...size].map(Number);
  const n = numel(shape);
  const contiguous = contiguousStrides(shape);
  const isContiguous = shape.every((d, i) => d === 1 || Number(stride[i]) === contiguous[i]);
  if (isContiguous) {
    return { shape, dtype: storage.dtype, data: storageToFloat32(storage, Number(offset), n) };
  }
  // general strided view: gather element by element
  let span = 1;
  for (let i = 0; i < shape.length; i++) span += (shape[i] - 1) * Number(stride[i]);
  const src = storageToFloat32(storage, Number(offset), n === 0 ? 0 : span);
  const out = new Float32Array(n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let d = 0; d < shape.length; d++) off += idx[d] * Number(stride[d]);
    out[i] = src[off];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return { shape, dtype: storage.dtype, data: out };
}

/** The `torch._utils._rebuild_tensor_v2` global, for writing. */
export const REBUILD_TENSOR_V2: PyGlobal = new PyGlobal("torch._utils", "_rebuild_tensor_v2");
/** The `torch.FloatStorage` global, for writing. */
export const FLOAT_STORAGE: PyGlobal = new PyGlobal("torch", "FloatStorage");
/** `collections.OrderedDict`, for writing. */
export const ORDERED_DICT: PyGlobal = new PyGlobal("collections", "OrderedDict");

/** The persistent id torch.save writes for a float32 storage. */
export function storagePid(key: string, count: number, location = "cpu"): readonly unknown[] {
  return tuple("storage", FLOAT_STORAGE, key, location, count);
}
