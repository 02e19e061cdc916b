/**
 * A small pickler (protocol 2) for the subset that `torch.save` checkpoints use:
 * containers, scalars, `GLOBAL` + `REDUCE` objects (`collections.OrderedDict`,
 * `torch._utils._rebuild_tensor_v2`) and persistent ids for tensor storages.
 *
 * Protocol 2 because `torch.save` writes protocol 2 (`DEFAULT_PROTOCOL` in
 * torch/serialization.py), so our files read like theirs under `pickletools.dis`.
 *
 * @module
 */
import { isTuple, PickleError, PyFloat, PyGlobal, PyObject } from "./_types.ts";

/** Options for {@linkcode pickle}. */
export interface PickleOptions {
  /**
   * Return a persistent id for a value to write it as BINPERSID (like Python's
   * `Pickler.persistent_id`), or `undefined` to pickle it normally.
   * @default {undefined}
   */
  persistentId?: (value: unknown) => unknown;
}

/** A persistent reference written as `BINPERSID` of its `pid` (a torch storage, say). */
export class PersistentRef {
  /** @param pid The persistent id, usually a tuple. */
  constructor(readonly pid: unknown) {}
}

class Writer {
  #buf = new Uint8Array(1 << 16);
  #len = 0;
  #view = new DataView(this.#buf.buffer);

  #grow(n: number) {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.#buf.subarray(0, this.#len));
    this.#buf = b;
    this.#view = new DataView(b.buffer);
  }
  byte(b: number) {
    this.#grow(1);
    this.#buf[this.#len++] = b;
  }
  u16(v: number) {
    this.#grow(2);
    this.#view.setUint16(this.#len, v, true);
    this.#len += 2;
  }
  i32(v: number) {
    this.#grow(4);
    this.#view.setInt32(this.#len, v, true);
    this.#len += 4;
  }
  u32(v: number) {
    this.#grow(4);
    this.#view.setUint32(this.#len, v, true);
    this.#len += 4;
  }
  f64be(v: number) {
    this.#grow(8);
    this.#view.setFloat64(this.#len, v, false);
    this.#len += 8;
  }
  bytes(b: Uint8Array) {
    this.#grow(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }
  result(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

function encodeLong(n: bigint): Uint8Array {
  // minimal little-endian two's complement, as Python's encode_long
  if (n === 0n) return new Uint8Array();
  const out: number[] = [];
  let v = n;
  while (true) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
    const sign = out[out.length - 1] & 0x80;
    if ((v === 0n && !sign) || (v === -1n && sign)) break;
  }
  return new Uint8Array(out);
}

/**
 * Pickle a value with protocol 2.
 *
 * @param value A value built from the types described in `_types.ts`, plus
 *   {@linkcode PersistentRef} and plain objects (written as dicts with string keys).
 * @param options Optional `persistentId` hook.
 * @returns The pickle bytes, ending in STOP.
 * @throws {PickleError} For values with no pickle form (functions, symbols, cycles through
 *   tuples).
 *
 * @example Round trip a dict
 * ```ts
 * import { pickle } from "./pickle.ts";
 * import { unpickle } from "./unpickle.ts";
 * import assert from "node:assert/strict";
 * const value = new Map<string, unknown>([["iter_num", 5], ["name", "tiny"]]);
 * assert.deepEqual(unpickle(pickle(value)), value);
 * ```
 */
export function pickle(value: unknown, options: PickleOptions = {}): Uint8Array {
  const w = new Writer();
  const memo = new Map<unknown, number>();
  const globals = new Map<string, number>();
  const utf8 = new TextEncoder();
  const inTuple = new Set<unknown>();

  let nextMemo = 0;
  const put = (key: unknown, map: Map<unknown, number>) => {
    const idx = nextMemo++;
    map.set(key, idx);
    if (idx < 256) {
      w.byte(0x71); // BINPUT
      w.byte(idx);
    } else {
      w.byte(0x72); // LONG_BINPUT
      w.u32(idx);
    }
  };
  const get = (idx: number) => {
    if (idx < 256) {
      w.byte(0x68); // BINGET
      w.byte(idx);
    } else {
      w.byte(0x6a); // LONG_BINGET
      w.u32(idx);
    }
  };
  const str = (s: string) => {
    const b = utf8.encode(s);
    w.byte(0x58); // BINUNICODE
    w.u32(b.length);
    w.bytes(b);
  };
  const global = (g: PyGlobal) => {
    const key = `${g.module}\n${g.name}`;
    const idx = globals.get(key);
    if (idx !== undefined) return get(idx);
    w.byte(0x63); // GLOBAL
    w.bytes(utf8.encode(`${g.module}\n${g.name}\n`));
    put(key, globals as Map<unknown, number>);
  };
  const int = (n: number | bigint) => {
    if (typeof n === "number" && n >= 0 && n < 256) {
      w.byte(0x4b); // BININT1
      w.byte(n);
    } else if (typeof n === "number" && n >= 0 && n < 65536) {
      w.byte(0x4d); // BININT2
      w.u16(n);
    } else if (typeof n === "number" && n >= -(2 ** 31) && n < 2 ** 31) {
      w.byte(0x4a); // BININT
      w.i32(n);
    } else {
      const b = encodeLong(BigInt(n));
      w.byte(0x8a); // LONG1
      w.byte(b.length);
      w.bytes(b);
    }
  };
  const items = (list: readonly unknown[], op: number) => {
    // batches of 1000 as CPython's _batch_appends
    for (let i = 0; i < list.length; i += 1000) {
      w.byte(0x28); // MARK
      for (const x of list.slice(i, i + 1000)) save(x);
      w.byte(op);
    }
  };
  const dictItems = (entries: [unknown, unknown][]) => {
    for (let i = 0; i < entries.length; i += 1000) {
      w.byte(0x28); // MARK
      for (const [k, v] of entries.slice(i, i + 1000)) {
        save(k);
        save(v);
      }
      w.byte(0x75); // SETITEMS
    }
  };

  function save(v: unknown): void {
    if (options.persistentId) {
      const pid = options.persistentId(v);
      if (pid !== undefined) {
        save(pid);
        w.byte(0x51); // BINPERSID
        return;
      }
    }
    if (v === null || v === undefined) return w.byte(0x4e); // NONE
    if (v === true) return w.byte(0x88);
    if (v === false) return w.byte(0x89);
    if (typeof v === "number") {
      if (Number.isInteger(v) && !Object.is(v, -0)) return int(v);
      w.byte(0x47); // BINFLOAT
      return w.f64be(v);
    }
    if (typeof v === "bigint") return int(v);
    if (v instanceof PyFloat) {
      w.byte(0x47);
      return w.f64be(v.value);
    }
    if (typeof v === "string") return str(v);
    if (v instanceof PyGlobal) return global(v);
    if (v instanceof PersistentRef) {
      save(v.pid);
      return w.byte(0x51); // BINPERSID
    }
    if (typeof v !== "object") throw new PickleError(`Cannot pickle: unsupported type ${typeof v}`);

    const seen = memo.get(v);
    if (seen !== undefined) return get(seen);

    if (isTuple(v)) {
      // tuples are immutable: no memo entry before the items, as CPython
      if (inTuple.has(v)) throw new PickleError("Cannot pickle: recursive tuple");
      inTuple.add(v);
      if (v.length === 0) w.byte(0x29); // EMPTY_TUPLE
      else if (v.length <= 3) {
        v.forEach(save);
        w.byte([0x85, 0x86, 0x87][v.length - 1]); // TUPLE1..3
      } else {
        w.byte(0x28);
        v.forEach(save);
        w.byte(0x74); // TUPLE
      }
      inTuple.delete(v);
      return put(v, memo);
    }
    if (v instanceof Uint8Array) {
      // protocol 2 has no bytes opcode: CPython writes _codecs.encode(latin1 str, 'latin1')
      global(new PyGlobal("_codecs", "encode"));
      str(String.fromCharCode(...v));
      str("latin1");
      w.byte(0x86);
      w.byte(0x52); // REDUCE
      return put(v, memo);
    }
    if (Array.isArray(v)) {
      w.byte(0x5d); // EMPTY_LIST
      put(v, memo);
      return items(v, 0x65); // APPENDS
    }
    if (v instanceof Map) {
      w.byte(0x7d); // EMPTY_DICT
      put(v, memo);
      return dictItems([...v.entries()]);
    }
    if (v instanceof Set) {
      // protocol 2 has no set opcodes: builtins.set([items])
      global(new PyGlobal("builtins", "set"));
      w.byte(0x5d);
      items([...v], 0x65);
      w.byte(0x85);
      w.byte(0x52);
      return put(v, memo);
    }
    if (v instanceof PyObject) {
      save(v.callable);
      w.byte(0x28);
      v.args.forEach(save);
      w.byte(0x74); // TUPLE
      w.byte(v.newObj ? 0x81 : 0x52); // NEWOBJ / REDUCE
      put(v, memo);
      if (v.listItems) items(v.listItems, 0x65);
      if (v.dictItems) dictItems([...v.dictItems.entries()]);
      if (v.state !== undefined) {
        save(v.state);
        w.byte(0x62); // BUILD
      }
      return;
    }
    if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) {
      w.byte(0x7d);
      put(v, memo);
      return dictItems(Object.entries(v));
    }
    throw new PickleError(`Cannot pickle: unsupported object ${(v as object).constructor?.name ?? "?"}`);
  }

  w.byte(0x80); // PROTO 2
  w.byte(2);
  save(value);
  w.byte(0x2e); // STOP
  return w.result();
}
