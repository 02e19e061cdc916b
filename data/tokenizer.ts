/**
 * Upstream CrystaLLM's CIF tokenizer (`crystallm/_tokenizer.py`, `CIFSymmPropsTokenizer`,
 * commit 8e81a86): 371 tokens, ids in upstream's order, the same token stream.
 *
 * Upstream tokenizes with one regular expression, `(tok_1|tok_2|…|\w+|[\.,;!?])`,
 * whose alternatives are the `re.escape`d tokens sorted by escaped length, longest
 * first (a stable sort). Python's `re` takes the first alternative that matches, so
 * at each position we try the candidate tokens in that same order. Before that,
 * the space-group value on the `_symmetry_space_group_name_H-M` line gets an `_sg`
 * suffix (so `Pm` the group is not `Pm` the element), and runs of spaces/tabs
 * collapse to one space (`single_spaces=True`).
 *
 * One deliberate difference: characters that no alternative matches (`@`, `#`,
 * `\r`, …) are silently skipped by Python's `re.findall`; here they become `<unk>`
 * and are counted, unless `unknownChars: "drop"` asks for upstream's behaviour.
 * No upstream-preprocessed CIF contains such a character, so ids agree on them.
 *
 * @module
 */
import { ATOMS, DIGITS, KEYWORDS, SPACE_GROUPS, SYMBOLS, UNK_TOKEN } from "./_vocab_data.ts";

/** Options for {@linkcode CifTokenizer.tokenize} and {@linkcode CifTokenizer.encode}. */
export interface TokenizeOptions {
  /**
   * Collapse runs of spaces and tabs to one space first (upstream's `single_spaces`).
   * @default {true}
   */
  singleSpaces?: boolean;
  /**
   * What to do with a character no token, `\w+` or `[.,;!?]` matches: `"unk"` emits
   * `<unk>` for it; `"drop"` skips it as upstream's `re.findall` does (still counted).
   * @default {"unk"}
   */
  unknownChars?: "unk" | "drop";
}

/** Result of {@linkcode CifTokenizer.encodeWithStats}. */
export interface EncodeResult {
  /** Token ids. */
  ids: number[];
  /** Number of `<unk>` tokens emitted (unknown words plus unknown characters). */
  unkCount: number;
  /** Characters skipped because `unknownChars` was `"drop"`. */
  droppedChars: number;
}

/** Thrown when a checkpoint's `vocab_size` differs from the tokenizer's. */
export class VocabSizeMismatchError extends Error {
  override name = "VocabSizeMismatchError";
  /**
   * @param checkpointVocabSize The checkpoint's `vocab_size`.
   * @param tokenizerVocabSize The tokenizer's size.
   * @param source Where the checkpoint came from (file name), for the message.
   */
  constructor(
    readonly checkpointVocabSize: number,
    readonly tokenizerVocabSize: number,
    source = "checkpoint",
  ) {
    super(
      `Cannot use ${source}: its vocab_size is ${checkpointVocabSize} but the tokenizer has ` +
        `${tokenizerVocabSize} tokens (a model trained with another tokenizer, such as a ` +
        `405-token fork, would produce garbage)`,
    );
  }
}

/** Python 3.7+ `re.escape` escapes exactly these characters. */
const PY_RE_SPECIAL = new Set("()[]{}?*+-|^$\\.&~# \t\n\r\v\f");

/** Python's `re.escape(token)`. */
export function pyReEscape(token: string): string {
  let out = "";
  for (const ch of token) out += PY_RE_SPECIAL.has(ch) ? "\\" + ch : ch;
  return out;
}

/** Python `\w` for `str` patterns: Unicode letters, numbers and the underscore. */
const WORD_CHAR = /[\p{L}\p{N}_]/u;
const PUNCT = new Set([".", ",", ";", "!", "?"]);

/**
 * Upstream's props-aware symmetrized CIF tokenizer.
 *
 * @example Encode and decode a line
 * ```ts
 * import { loadTokenizer } from "./tokenizer.ts";
 * import assert from "node:assert/strict";
 * const tok = loadTokenizer();
 * const ids = tok.encode("data_Na1Cl1\n");
 * assert.deepEqual(ids, [124, 54, 90, 5, 90, 142]);
 * assert.equal(tok.decode(ids), "data_Na1Cl1\n");
 * ```
 */
export class CifTokenizer {
  /** Token strings in id order, as matched in text (space groups carry `_sg`); last is `<unk>`. */
  readonly tokens: readonly string[];
  /** What `decode` emits for each id (space groups without `_sg`). */
  readonly idToToken: readonly string[];
  /** Number of tokens, `<unk>` included (371 for upstream). */
  readonly vocabSize: number;
  /** Id of `<unk>`. */
  readonly unkId: number;
  /** The regex alternation order of upstream: escaped tokens, longest first. */
  readonly alternationOrder: readonly string[];

  #tokenToId: Map<string, number>;
  /** Candidate tokens by first UTF-16 unit, in alternation order. */
  #byFirst: Map<string, { token: string; id: number }[]>;
  #sgLine: RegExp;

  constructor() {
    const sgTokens = SPACE_GROUPS.map((sg) => sg + "_sg");
    const tokens = [...ATOMS, ...DIGITS, ...KEYWORDS, ...SYMBOLS, ...sgTokens];
    this.tokens = [...tokens, UNK_TOKEN];
    this.idToToken = this.tokens.map((t, i) =>
      i >= tokens.length - sgTokens.length && t !== UNK_TOKEN ? t.slice(0, -3) : t
    );
    this.vocabSize = this.tokens.length;
    this.unkId = this.tokens.length - 1;
    this.#tokenToId = new Map(this.tokens.map((t, i) => [t, i]));
    // self._escaped_tokens.sort(key=len, reverse=True): stable, by escaped length
    const escaped = tokens.map((t, i) => ({ t, i, e: pyReEscape(t) }));
    escaped.sort((a, b) => b.e.length - a.e.length || a.i - b.i);
    this.alternationOrder = escaped.map((x) => x.e);
    this.#byFirst = new Map();
    for (const { t, i } of escaped) {
      const list = this.#byFirst.get(t[0]) ?? [];
      list.push({ token: t, id: i });
      this.#byFirst.set(t[0], list);
    }
    // fr'(_symmetry_space_group_name_H-M *\b({spacegroups}))\n' with the groups unescaped, as upstream
    this.#sgLine = new RegExp(`(_symmetry_space_group_name_H-M *\\b(${SPACE_GROUPS.join("|")}))\\n`, "g");
  }

  /**
   * Id of a token string (space groups with their `_sg` suffix).
   *
   * @param token The token.
   * @returns Its id, or `undefined` when it is not in the vocabulary.
   */
  tokenToId(token: string): number | undefined {
    return this.#tokenToId.get(token);
  }

  /**
   * Split text into upstream's tokens (`tokenize_cif`).
   *
   * @param text CIF text, usually already through {@linkcode filterCifLines}.
   * @param options Whitespace and unknown-character handling.
   * @returns Token strings; unknown words and characters are `<unk>`.
   */
  tokenize(text: string, options: TokenizeOptions = {}): string[] {
    return this.#scan(text, options).ids.map((i) => this.tokens[i]);
  }

  /**
   * Encode text to ids: `tokenize` then upstream's `encode`.
   *
   * @param text Text to encode (no line filter is applied; see {@linkcode filterCifLines}).
   * @param options Whitespace and unknown-character handling.
   * @returns Token ids.
   */
  encode(text: string, options: TokenizeOptions = {}): number[] {
    return this.#scan(text, options).ids;
  }

  /**
   * Encode and count what was unknown.
   *
   * @param text Text to encode.
   * @param options Whitespace and unknown-character handling.
   * @returns Ids, the `<unk>` count and the number of dropped characters.
   */
  encodeWithStats(text: string, options: TokenizeOptions = {}): EncodeResult {
    return this.#scan(text, options);
  }

  /**
   * Decode ids to text (space groups lose their `_sg` suffix).
   *
   * @param ids Token ids.
   * @returns The text.
   * @throws {RangeError} For an id outside the vocabulary.
   */
  decode(ids: Iterable<number>): string {
    let out = "";
    for (const id of ids) {
      const t = this.idToToken[id];
      if (t === undefined) {
        throw new RangeError(`Cannot decode token id ${id}: vocabulary has ${this.vocabSize} tokens`);
      }
      out += t;
    }
    return out;
  }

  #scan(input: string, options: TokenizeOptions): EncodeResult {
    const singleSpaces = options.singleSpaces ?? true;
    const dropUnknown = options.unknownChars === "drop";
    let text = input.replace(this.#sgLine, (_m, g1: string) => g1 + "_sg\n");
    if (singleSpaces) text = text.replace(/[ \t]+/g, " ");
    const ids: number[] = [];
    let unkCount = 0, droppedChars = 0;
    const n = text.length;
    let i = 0;
    outer: while (i < n) {
      const cands = this.#byFirst.get(text[i]);
      if (cands) {
        for (const c of cands) {
          if (text.startsWith(c.token, i)) {
            ids.push(c.id);
            i += c.token.length;
            continue outer;
          }
        }
      }
      const cp = text.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      if (WORD_CHAR.test(ch)) {
        // \w+ (greedy); the word is a token only if it is in the vocabulary
        let j = i + ch.length;
        while (j < n) {
          const next = String.fromCodePoint(text.codePointAt(j)!);
          if (!WORD_CHAR.test(next)) break;
          j += next.length;
        }
        const id = this.#tokenToId.get(text.slice(i, j));
        if (id === undefined || id === this.unkId) {
          ids.push(this.unkId);
          unkCount++;
        } else ids.push(id);
        i = j;
        continue;
      }
      if (PUNCT.has(ch)) {
        // [\.,;!?]: ";", "!" and "?" are not tokens
        const id = this.#tokenToId.get(ch);
        if (id === undefined) {
          ids.push(this.unkId);
          unkCount++;
        } else ids.push(id);
        i += 1;
        continue;
      }
      if (dropUnknown) droppedChars++;
      else {
        ids.push(this.unkId);
        unkCount++;
      }
      i += ch.length;
    }
    return { ids, unkCount, droppedChars };
  }
}

let shared: CifTokenizer | undefined;

/**
 * The upstream tokenizer (built once, then shared).
 *
 * @returns The 371-token tokenizer.
 * @example Sizes
 * ```ts
 * import { loadTokenizer } from "./tokenizer.ts";
 * import assert from "node:assert/strict";
 * const tok = loadTokenizer();
 * assert.equal(tok.vocabSize, 371);
 * assert.equal(tok.unkId, 370);
 * ```
 */
export function loadTokenizer(): CifTokenizer {
  shared ??= new CifTokenizer();
  return shared;
}

/**
 * Check that a checkpoint was trained with this tokenizer's vocabulary.
 *
 * @param checkpointVocabSize `vocab_size` from the checkpoint's `model_args`.
 * @param options `tokenizer` (default: {@linkcode loadTokenizer}) and `source` (file name for the message).
 * @throws {VocabSizeMismatchError} When the sizes differ; the message names both.
 * @example A 405-token checkpoint is refused
 * ```ts
 * import { assertVocabSize } from "./tokenizer.ts";
 * import assert from "node:assert/strict";
 * assertVocabSize(371);
 * assert.throws(() => assertVocabSize(405, { source: "ckpt.pt" }), /405.*371/);
 * ```
 */
export function assertVocabSize(
  checkpointVocabSize: number,
  options: { tokenizer?: CifTokenizer; source?: string } = {},
): void {
  const tok = options.tokenizer ?? loadTokenizer();
  if (checkpointVocabSize !== tok.vocabSize) {
    throw new VocabSizeMismatchError(checkpointVocabSize, tok.vocabSize, options.source);
  }
}

/**
 * The line filter of upstream's `bin/tokenize_cifs.py` (`preprocess`): strip each
 * line, drop empty lines, `#` comments and lines mentioning pymatgen, join with
 * newlines and end with an extra `"\n"` element (so the text ends in a blank line).
 *
 * @param cif A preprocessed CIF.
 * @returns The text upstream feeds to `tokenize_cif`.
 * @example
 * ```ts
 * import { filterCifLines } from "./tokenizer.ts";
 * import assert from "node:assert/strict";
 * assert.equal(filterCifLines("# generated using pymatgen\ndata_X\n  loop_\n"), "data_X\nloop_\n\n");
 * ```
 */
export function filterCifLines(cif: string): string {
  const lines: string[] = [];
  for (const raw of cif.split("\n")) {
    const line = pyStrip(raw);
    if (line.length > 0 && !line.startsWith("#") && !line.includes("pymatgen")) lines.push(line);
  }
  lines.push("\n");
  return lines.join("\n");
}

/** Python `str.isspace()` characters (unlike JS `\s`, no U+FEFF; plus \x1c-\x1f and \x85). */
const PY_SPACE =
  "[\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const PY_STRIP = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, "g");

/** Python `str.strip()` with no argument. */
function pyStrip(s: string): string {
  return s.replace(PY_STRIP, "");
}

/**
 * What a text is, which decides how upstream turns it into ids:
 * - `"cif"`: a whole CIF, as `bin/tokenize_cifs.py` tokenizes training data
 *   ({@linkcode filterCifLines} first);
 * - `"prompt"`: a prompt, as `bin/sample.py` encodes it (the text as given);
 * - `"generated"`: a generated CIF as `bin/evaluate_cifs.py` counts its length
 *   (`tokenize_cif` on the text as given; characters no token matches are skipped).
 */
export type CifTextKind = "cif" | "prompt" | "generated";

/**
 * The one way CIF text becomes token ids: `data tokenize`, `data build`, `score`, `sample`
 * prompts and `evaluate`'s generated length all call this.
 *
 * @param text The text.
 * @param options `kind` (default `"cif"`), the tokenizer and encode options.
 * @returns Ids, `<unk>` count and dropped characters.
 * @example A CIF's pymatgen comment is filtered out, a prompt is taken as it is
 * ```ts
 * import { encodeCif } from "./tokenizer.ts";
 * import assert from "node:assert/strict";
 * const cif = "# generated using pymatgen\ndata_Na1Cl1\n";
 * assert.deepEqual(encodeCif(cif).ids, encodeCif("data_Na1Cl1\n\n").ids);
 * assert.deepEqual(encodeCif("data_Na1Cl1\n", { kind: "prompt" }).ids, [124, 54, 90, 5, 90, 142]);
 * ```
 */
export function encodeCif(
  text: string,
  options: TokenizeOptions & { tokenizer?: CifTokenizer; kind?: CifTextKind } = {},
): EncodeResult {
  const { tokenizer = loadTokenizer(), kind = "cif", ...encodeOptions } = options;
  switch (kind) {
    case "cif":
      return tokenizer.encodeWithStats(filterCifLines(text), encodeOptions);
    case "prompt":
      return tokenizer.encodeWithStats(text, encodeOptions);
    case "generated":
      return tokenizer.encodeWithStats(text, { ...encodeOptions, unknownChars: "drop" });
  }
}
