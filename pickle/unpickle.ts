/**
 * A small unpickler for protocols 0–5: the subset that `torch.save` and Python's pickle
 * of plain containers use. No Python code runs: globals resolve through a `findClass`
 * hook, and what it does not know stays a {@linkcode PyGlobal} / {@linkcode PyObject}.
 *
 * Why not libtorch's `torch::pickle_load`: on libtorch 1.13 it fails on `OrderedDict`
 * state dicts and on one-entry dicts.
 *
 * @module
 */
import { PickleError, PyFloat, PyGlobal, PyObject, tuple } from "./_types.ts";

/** Options for {@linkcode unpickle}. */
export interface UnpickleOptions {
  /**
   * Resolve a Python global to a JavaScript value. A function result is called by REDUCE /
   * NEWOBJ with the arguments spread; return `undefined` to fall back to the defaults
   * (`collections.OrderedDict` → `Map`, `builtins.set` → `Set`, `_codecs.encode`, …) and
   * then to a {@linkcode PyGlobal}.
   * @default {undefined}
   */
  findClass?: (module: string, name: string) => unknown;
  /**
   * Resolve a persistent id (BINPERSID / PERSID), as `torch.save` uses for storages.
   * Without it a persistent id is an error.
   * @default {undefined}
   */
  persistentLoad?: (pid: unknown) => unknown;
  /**
   * Return Python floats as {@linkcode PyFloat} instead of `number`, to keep `0.0` a float
   * through a round trip.
   * @default {false}
   */
  wrapFloats?: boolean;
}

/** Callables the unpickler knows without a hook. */
function defaultGlobal(module: string, name: string): unknown {
  const key = `${module}.${name}`;
  switch (key) {
    case "collections.OrderedDict":
    case "builtins.dict":
    case "__builtin__.dict":
      return (items?: Iterable<[unknown, unknown]>) => new Map(items ?? []);
    case "builtins.list":
    case "__builtin__.list":
      return (items?: Iterable<unknown>) => [...(items ?? [])];
    case "builtins.tuple":
    case "__builtin__.tuple":
      return (items?: Iterable<unknown>) => tuple(...(items ?? []));
    case "builtins.set":
    case "__builtin__.set":
    case "builtins.frozenset":
      return (items?: Iterable<unknown>) => new Set(items ?? []);
    case "builtins.bytearray":
    case "__builtin__.bytearray":
      return (data?: Uint8Array | string, encoding?: string) => toBytes(data, encoding);
    case "_codecs.encode":
      // protocol 2 writes `bytes` as _codecs.encode(str, 'latin1')
      return (text: string, encoding?: string) => toBytes(text, encoding ?? "utf-8");
    case "builtins.object":
    case "__builtin__.object":
      return undefined;
  }
  return undefined;
}

function toBytes(data: Uint8Array | string | undefined, encoding?: string): Uint8Array {
  if (data === undefined) return new Uint8Array();
  if (data instanceof Uint8Array) return data.slice();
  if (encoding === "latin1" || encoding === "latin-1" || encoding === "iso-8859-1") {
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data.charCodeAt(i) & 0xff;
    return out;
  }
  return new TextEncoder().encode(data);
}

function decodeLong(bytes: Uint8Array): number | bigint {
  // little-endian two's complement
  if (bytes.length === 0) return 0;
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) n -= 1n << BigInt(bytes.length * 8);
  return narrow(n);
}

function narrow(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

function parseTextFloat(s: string): number {
  // repr() spellings: 'inf', '-inf', 'nan'
  if (/^[+-]?inf$/i.test(s)) return s.startsWith("-") ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(s)) return NaN;
  return parseFloat(s);
}

function callValue(callable: unknown, args: readonly unknown[], newObj: boolean): unknown {
  if (typeof callable === "function") return callable(...args);
  return new PyObject(callable, args, newObj);
}

/**
 * Read one pickled value.
 *
 * @param data The pickle bytes (e.g. `data.pkl` of a torch zip checkpoint).
 * @param options Hooks for globals and persistent ids.
 * @returns The value, mapped to JavaScript as described in `_types.ts`.
 * @throws {PickleError} On malformed data, an unsupported opcode or a missing hook.
 *
 * @example Read a dict pickled by Python
 * ```ts
 * import { unpickle } from "./unpickle.ts";
 * import assert from "node:assert/strict";
 * // pickle.dumps({'a': 1}, protocol=2)
 * const bytes = new Uint8Array([0x80, 2, 0x7d, 0x71, 0, 0x58, 1, 0, 0, 0, 0x61, 0x71, 1, 0x4b, 1, 0x73, 0x2e]);
 * assert.deepEqual(unpickle(bytes), new Map([["a", 1]]));
 * ```
 */
export function unpickle(data: Uint8Array, options: UnpickleOptions = {}): unknown {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  let opPos = 0;

  const fail = (msg: string): never => {
    throw new PickleError(`Cannot unpickle: ${msg}`, opPos);
  };
  const need = (n: number) => {
    if (pos + n > data.length) fail("truncated data");
  };
  const u8 = () => {
    need(1);
    return data[pos++];
  };
  const u16 = () => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = () => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail("length too large");
    return Number(v);
  };
  const bytes = (n: number) => {
    need(n);
    const b = data.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const line = () => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail("unterminated text line");
    const s = new TextDecoder("latin1").decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = () => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) {
      fail("stack underflow");
    }
    return stack.pop();
  };
  const top = () => {
    if (stack.length === 0) fail("stack underflow");
    return stack[stack.length - 1];
  };
  const popMark = () => {
    const m = marks.pop();
    if (m === undefined) fail("MARK expected");
    return stack.splice(m!);
  };
  const float = (v: number) => (options.wrapFloats ? new PyFloat(v) : v);
  const resolveGlobal = (module: string, name: string) => {
    const hooked = options.findClass?.(module, name);
    if (hooked !== undefined) return hooked;
    return defaultGlobal(module, name) ?? new PyGlobal(module, name);
  };
  const append = (target: unknown, items: unknown[]) => {
    if (Array.isArray(target)) target.push(...items);
    else if (target instanceof Set) items.forEach((x) => target.add(x));
    else if (target instanceof PyObject) (target.listItems ??= []).push(...items);
    else if (target && typeof (target as any).append === "function") {
      items.forEach((x) => (target as any).append(x));
    } else fail("APPEND to a non-list");
  };
  const setItems = (target: unknown, kv: unknown[]) => {
    if (kv.length % 2) fail("odd number of items for SETITEMS");
    for (let i = 0; i < kv.length; i += 2) {
      if (target instanceof Map) target.set(kv[i], kv[i + 1]);
      else if (target instanceof PyObject) (target.dictItems ??= new Map()).set(kv[i], kv[i + 1]);
      else if (target && typeof target === "object") (target as any)[String(kv[i])] = kv[i + 1];
      else fail("SETITEM on a non-dict");
    }
  };
  const build = (obj: unknown, state: unknown) => {
    if (obj && typeof (obj as any).__setstate__ === "function") (obj as any).__setstate__(state);
    else if (obj instanceof PyObject) obj.state = state;
    else if (obj && typeof obj === "object" && state instanceof Map) {
      // Python's default: instance __dict__.update(state); e.g. a state dict's `_metadata`
      for (const [k, v] of state) (obj as any)[String(k)] = v;
    } else if (state !== null) fail("BUILD on an object that takes no state");
  };
  const persistent = (pid: unknown) => {
    if (!options.persistentLoad) fail("persistent id found but no persistentLoad hook given");
    return options.persistentLoad!(pid);
  };

  while (true) {
    opPos = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail("unsupported protocol");
        break;
      case 0x95: // FRAME: framing is only an I/O hint
        u64();
        break;
      case 0x2e: { // STOP
        const v = pop();
        return v;
      }
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        if (marks.length && marks[marks.length - 1] === stack.length) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x49: { // INT (text); "00"/"01" are protocol-0 booleans
        const s = line();
        if (s === "00") stack.push(false);
        else if (s === "01") stack.push(true);
        else stack.push(narrow(BigInt(s)));
        break;
      }
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4c: { // LONG (text, trailing L)
        const s = line().replace(/L$/, "");
        stack.push(narrow(BigInt(s)));
        break;
      }
      case 0x8a: // LONG1
        stack.push(decodeLong(bytes(u8())));
        break;
      case 0x8b: { // LONG4
        const n = i32();
        if (n < 0) fail("negative LONG4 length");
        stack.push(decodeLong(bytes(n)));
        break;
      }
      case 0x46: // FLOAT (text)
        stack.push(float(parseTextFloat(line())));
        break;
      case 0x47: { // BINFLOAT: big-endian double
        need(8);
        const v = view.getFloat64(pos, false);
        pos += 8;
        stack.push(float(v));
        break;
      }
      case 0x53: { // STRING: quoted repr of a Python 2 str
        const s = line();
        const q = s[0];
        if (s.length < 2 || (q !== "'" && q !== '"') || s[s.length - 1] !== q) fail("bad STRING quoting");
        stack.push(
          s.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_m, e: string) => {
            if (e[0] === "x") return String.fromCharCode(parseInt(e.slice(1), 16));
            return ({ n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"' } as Record<string, string>)[
              e
            ] ?? e;
          }),
        );
        break;
      }
      case 0x54: { // BINSTRING: Python 2 str, read as latin-1 like Python 3's default
        const n = i32();
        stack.push(new TextDecoder("latin1").decode(bytes(n)));
        break;
      }
      case 0x55: // SHORT_BINSTRING
        stack.push(new TextDecoder("latin1").decode(bytes(u8())));
        break;
      case 0x56: { // UNICODE (raw-unicode-escape)
        const s = line().replace(
          /\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g,
          (_m, a, b) => String.fromCodePoint(parseInt(a ?? b, 16)),
        );
        stack.push(s);
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(utf8.decode(bytes(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8.decode(bytes(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8.decode(bytes(u64())));
        break;
      case 0x42: // BINBYTES
        stack.push(bytes(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(bytes(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(bytes(u64()).slice());
        break;
      case 0x96: // BYTEARRAY8
        stack.push(bytes(u64()).slice());
        break;
      case 0x97: // NEXT_BUFFER
      case 0x98: // READONLY_BUFFER
        fail("out-of-band buffers are not supported");
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x61: { // APPEND
        const v = pop();
        append(top(), [v]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(tuple());
        break;
      case 0x74: // TUPLE
        stack.push(tuple(...popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(tuple(pop()));
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        const a = pop();
        stack.push(tuple(a, b));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(tuple(a, b, c));
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: { // DICT
        const m = new Map();
        setItems(m, popMark());
        stack.push(m);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: { // ADDITEMS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(new Set(popMark()));
        break;
      case 0x63: { // GLOBAL
        const module = line();
        const name = line();
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") fail("STACK_GLOBAL needs two strings");
        stack.push(resolveGlobal(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        if (!Array.isArray(args)) fail("REDUCE arguments are not a tuple");
        stack.push(callValue(fn, args as unknown[], false));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        const cls = pop();
        if (!Array.isArray(args)) fail("NEWOBJ arguments are not a tuple");
        stack.push(callValue(cls, args as unknown[], true));
        break;
      }
      case 0x92: { // NEWOBJ_EX: kwargs are kept only when the class is unresolved
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (!Array.isArray(args)) fail("NEWOBJ_EX arguments are not a tuple");
        const obj = callValue(cls, args as unknown[], true);
        if (obj instanceof PyObject && kwargs instanceof Map && kwargs.size) obj.state = { kwargs };
        stack.push(obj);
        break;
      }
      case 0x69: { // INST
        const module = line();
        const name = line();
        stack.push(callValue(resolveGlobal(module, name), popMark(), false));
        break;
      }
      case 0x6f: { // OBJ
        const items = popMark();
        const cls = items.shift();
        stack.push(callValue(cls, items, false));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        build(top(), state);
        break;
      }
      case 0x50: // PERSID
        stack.push(persistent(line()));
        break;
      case 0x51: // BINPERSID
        stack.push(persistent(pop()));
        break;
      case 0x67: { // GET
        const k = parseInt(line(), 10);
        if (!memo.has(k)) fail(`memo key ${k} missing`);
        stack.push(memo.get(k));
        break;
      }
      case 0x68: { // BINGET
        const k = u8();
        if (!memo.has(k)) fail(`memo key ${k} missing`);
        stack.push(memo.get(k));
        break;
      }
      case 0x6a: { // LONG_BINGET
        const k = u32();
        if (!memo.has(k)) fail(`memo key ${k} missing`);
        stack.push(memo.get(k));
        break;
      }
      case 0x70: // PUT
        memo.set(parseInt(line(), 10), top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: // EXT4
        fail("extension registry codes are not supported");
        break;
      default:
        fail(`unknown opcode 0x${op.toString(16).padStart(2, "0")}`);
    }
  }
}
