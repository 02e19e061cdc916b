/**
 * Upstream's `meta.pkl`: `{"vocab_size": int, "itos": {id: str}, "stoi": {str: id}}`,
 * written by `bin/tokenize_cifs.py` with `pickle.dump(meta, f)`.
 *
 * Writing reproduces the exact bytes of CPython ≥ 3.8's default protocol 4 for this
 * dict, memo references included (the `stoi` keys are the same `str` objects as the
 * `itos` values except for space groups, whose `itos` value is a new string without
 * `_sg`), so a token directory built here hashes like upstream's. Reading goes
 * through the general unpickler in `pickle/`.
 *
 * @module
 */
import { unpickle } from "../pickle/mod.ts";
import { type CifTokenizer, loadTokenizer } from "./tokenizer.ts";

/** The contents of a `meta.pkl`. */
export interface Meta {
  /** Number of tokens. */
  vocabSize: number;
  /** Id → decoded string (space groups without `_sg`). */
  itos: Map<number, string>;
  /** Token string (space groups with `_sg`) → id. */
  stoi: Map<string, number>;
}

/** Thrown for a `meta.pkl` that is not upstream's shape or does not match the tokenizer. */
export class MetaError extends Error {
  override name = "MetaError";
}

/**
 * The meta of a tokenizer, as upstream builds it.
 *
 * @param tokenizer The tokenizer (default: upstream's).
 * @returns `vocab_size`, `itos`, `stoi`.
 */
export function metaOf(tokenizer: CifTokenizer = loadTokenizer()): Meta {
  return {
    vocabSize: tokenizer.vocabSize,
    itos: new Map(tokenizer.idToToken.map((t, i) => [i, t])),
    stoi: new Map(tokenizer.tokens.map((t, i) => [t, i])),
  };
}

// pickle opcodes (Lib/pickle.py)
const PROTO = 0x80,
  FRAME = 0x95,
  EMPTY_DICT = 0x7d,
  MEMOIZE = 0x94,
  MARK = 0x28,
  SETITEMS = 0x75,
  SETITEM = 0x73;
const SHORT_BINUNICODE = 0x8c, BINUNICODE = 0x58, BININT1 = 0x4b, BININT2 = 0x4d, BININT = 0x4a;
const BINGET = 0x68, LONG_BINGET = 0x6a, STOP = 0x2e;

/**
 * Serialize a tokenizer's meta exactly as CPython's `pickle.dump(meta, f)` (protocol 4).
 *
 * @param tokenizer The tokenizer (default: upstream's).
 * @returns The `meta.pkl` bytes.
 * @example
 * ```ts
 * import { encodeMetaPkl, decodeMetaPkl } from "./meta_pkl.ts";
 * import assert from "node:assert/strict";
 * const meta = decodeMetaPkl(encodeMetaPkl());
 * assert.equal(meta.vocabSize, 371);
 * assert.equal(meta.itos.get(200), "Pm-3m");
 * assert.equal(meta.stoi.get("Pm-3m_sg"), 200);
 * ```
 */
export function encodeMetaPkl(tokenizer: CifTokenizer = loadTokenizer()): Uint8Array {
  const body: number[] = [];
  const utf8 = new TextEncoder();
  let nextMemo = 0;
  const memoize = () => {
    body.push(MEMOIZE);
    return nextMemo++;
  };
  const u32 = (v: number) => body.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  const str = (s: string) => {
    const b = utf8.encode(s);
    if (b.length < 256) body.push(SHORT_BINUNICODE, b.length);
    else {
      body.push(BINUNICODE);
      u32(b.length);
    }
    for (const x of b) body.push(x);
    return memoize();
  };
  const int = (v: number) => {
    if (v >= 0 && v < 256) body.push(BININT1, v);
    else if (v >= 0 && v < 65536) body.push(BININT2, v & 0xff, v >> 8);
    else {
      body.push(BININT);
      u32(v);
    }
  };
  const get = (idx: number) => {
    if (idx < 256) body.push(BINGET, idx);
    else {
      body.push(LONG_BINGET);
      u32(idx);
    }
  };
  // _batch_setitems: MARK … SETITEMS per 1000 items, a lone item with SETITEM
  const items = (n: number, each: (i: number) => void) => {
    for (let start = 0; start < n; start += 1000) {
      const end = Math.min(n, start + 1000);
      if (end - start > 1) body.push(MARK);
      for (let i = start; i < end; i++) each(i);
      body.push(end - start > 1 ? SETITEMS : SETITEM);
    }
  };

  body.push(EMPTY_DICT);
  memoize();
  const outer = [
    () => {
      str("vocab_size");
      int(tokenizer.vocabSize);
    },
    () => {
      str("itos");
      body.push(EMPTY_DICT);
      memoize();
      items(tokenizer.vocabSize, (i) => {
        int(i);
        itosMemo[i] = str(tokenizer.idToToken[i]);
      });
    },
    () => {
      str("stoi");
      body.push(EMPTY_DICT);
      memoize();
      items(tokenizer.vocabSize, (i) => {
        const t = tokenizer.tokens[i];
        // the same str object as the itos value, unless itos holds sg.replace("_sg", "")
        if (t === tokenizer.idToToken[i]) get(itosMemo[i]);
        else str(t);
        int(i);
      });
    },
  ];
  const itosMemo: number[] = [];
  items(outer.length, (i) => outer[i]());
  body.push(STOP);

  // one frame holds everything after PROTO and FRAME (meta.pkl is far below the 64 KiB frame target)
  const out = new Uint8Array(2 + 9 + body.length);
  const view = new DataView(out.buffer);
  out[0] = PROTO;
  out[1] = 4;
  out[2] = FRAME;
  view.setBigUint64(3, BigInt(body.length), true);
  out.set(body, 11);
  return out;
}

/**
 * Read a `meta.pkl` (upstream's or ours) without Python.
 *
 * @param bytes The file contents.
 * @param file File name for messages.
 * @returns The meta.
 * @throws {MetaError} When the pickle is not a dict with `vocab_size`, `itos` and `stoi`.
 */
export function decodeMetaPkl(bytes: Uint8Array, file = "meta.pkl"): Meta {
  const v = unpickle(bytes);
  if (!(v instanceof Map)) throw new MetaError(`Cannot read ${file}: not a pickled dict`);
  const vocabSize = v.get("vocab_size"), itos = v.get("itos"), stoi = v.get("stoi");
  if (typeof vocabSize !== "number" || !(itos instanceof Map) || !(stoi instanceof Map)) {
    throw new MetaError(`Cannot read ${file}: expected keys vocab_size (int), itos (dict), stoi (dict)`);
  }
  for (const [k, s] of itos) {
    if (typeof k !== "number" || typeof s !== "string") {
      throw new MetaError(`Cannot read ${file}: itos maps ${k} to ${s}`);
    }
  }
  for (const [s, k] of stoi) {
    if (typeof k !== "number" || typeof s !== "string") {
      throw new MetaError(`Cannot read ${file}: stoi maps ${s} to ${k}`);
    }
  }
  return { vocabSize, itos: itos as Map<number, string>, stoi: stoi as Map<string, number> };
}

/**
 * Write `meta.pkl` for a tokenizer.
 *
 * @param path Output path.
 * @param tokenizer The tokenizer (default: upstream's).
 */
export async function writeMetaPkl(path: string, tokenizer: CifTokenizer = loadTokenizer()): Promise<void> {
  await Deno.writeFile(path, encodeMetaPkl(tokenizer));
}

/**
 * Read a `meta.pkl` file.
 *
 * @param path Input path.
 * @returns The meta.
 * @throws {MetaError} For a file of the wrong shape.
 */
export async function readMetaPkl(path: string): Promise<Meta> {
  return decodeMetaPkl(await Deno.readFile(path), path);
}

/**
 * Check that a meta describes this tokenizer, id for id.
 *
 * @param meta A meta read from a token directory.
 * @param options `tokenizer` (default: upstream's) and `file` for the message.
 * @throws {MetaError} Naming both sizes, or the first id that differs.
 */
export function assertMetaMatchesTokenizer(
  meta: Meta,
  options: { tokenizer?: CifTokenizer; file?: string } = {},
): void {
  const tok = options.tokenizer ?? loadTokenizer();
  const file = options.file ?? "meta.pkl";
  if (meta.vocabSize !== tok.vocabSize) {
    throw new MetaError(
      `Cannot use ${file}: its vocab_size is ${meta.vocabSize} but the tokenizer has ${tok.vocabSize} tokens`,
    );
  }
  for (let i = 0; i < tok.vocabSize; i++) {
    if (meta.itos.get(i) !== tok.idToToken[i] || meta.stoi.get(tok.tokens[i]) !== i) {
      throw new MetaError(
        `Cannot use ${file}: id ${i} is ${JSON.stringify(meta.itos.get(i))} there but ${
          JSON.stringify(tok.idToToken[i])
        } here`,
      );
    }
  }
}
