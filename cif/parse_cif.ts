/**
 * A reader for CIF 1.1 as real files write it.
 *
 * Handles several data blocks per file, tags, `loop_`s, single- and double-quoted
 * values (a quote closes only when followed by whitespace, per CIF 1.1), `;` text
 * fields, `#` comments, `?` (unknown) and `.` (inapplicable), and numbers with
 * standard uncertainties such as `5.6402(3)`. Every value remembers its line, and
 * every error names the file and line.
 *
 * @module
 */

/** One value as written in the file. */
export interface CifValue {
  /** The value without quotes or text-field delimiters. */
  text: string;
  /** True when written quoted or as a text field (then `?`/`.` are literal). */
  quoted: boolean;
  /** 1-based line where the value starts. */
  line: number;
}

/** A `loop_` with its tags and rows. */
export interface CifLoop {
  tags: string[];
  rows: CifValue[][];
  line: number;
}

/** Thrown for text that is not CIF; carries the position "so consumers do not have to parse the message". */
export class CifSyntaxError extends SyntaxError {
  override name = "CifSyntaxError";
  /**
   * @param message What is wrong.
   * @param file The file (or `<string>`).
   * @param line 1-based line.
   * @param column 1-based column.
   */
  constructor(message: string, readonly file: string, readonly line: number, readonly column = 1) {
    super(`${file}:${line}:${column}: ${message}`);
  }
}

/** One `data_` block. Tag lookups are case-insensitive, as CIF tags are. */
export class CifBlock {
  /** Scalar items in file order (loop columns are in `loops`). */
  readonly items: Map<string, CifValue> = new Map();
  readonly loops: CifLoop[] = [];
  /** Tag (lower case) → loop holding it. */
  readonly #loopOf: Map<string, CifLoop> = new Map();
  /** Tag (lower case) → tag as written. */
  readonly #tagCase: Map<string, string> = new Map();
  /** Non-fatal oddities (duplicate tags …). */
  readonly warnings: string[] = [];

  /**
   * @param name The block name after `data_`.
   * @param line Line of the `data_` header.
   * @param file The file it came from.
   */
  constructor(readonly name: string, readonly line: number, readonly file: string) {}

  /** @internal */
  setItem(tag: string, value: CifValue): void {
    const key = tag.toLowerCase();
    if (this.#tagCase.has(key)) this.warnings.push(`${this.file}:${value.line}: duplicate tag ${tag}; the last value is used`);
    this.#tagCase.set(key, tag);
    this.#loopOf.delete(key);
    this.items.set(key, value);
  }

  /** @internal */
  addLoop(loop: CifLoop): void {
    this.loops.push(loop);
    for (const t of loop.tags) {
      const key = t.toLowerCase();
      if (this.#tagCase.has(key)) this.warnings.push(`${this.file}:${loop.line}: duplicate tag ${t}; the last value is used`);
      this.#tagCase.set(key, t);
      this.items.delete(key);
      this.#loopOf.set(key, loop);
    }
  }

  /** True when the block has this tag (scalar or loop column). */
  has(tag: string): boolean {
    return this.#tagCase.has(tag.toLowerCase());
  }

  /** The scalar value of `tag`, or the first value of its loop column. */
  get(tag: string): CifValue | undefined {
    const key = tag.toLowerCase();
    const item = this.items.get(key);
    if (item) return item;
    const col = this.column(tag);
    return col && col.length ? col[0] : undefined;
  }

  /** The text of `tag` (see {@link get}), or `undefined`. */
  text(tag: string): string | undefined {
    return this.get(tag)?.text;
  }

  /** The values of a loop column; a scalar item comes back as a one-element column. */
  column(tag: string): CifValue[] | undefined {
    const key = tag.toLowerCase();
    const loop = this.#loopOf.get(key);
    if (loop) {
      const i = loop.tags.findIndex((t) => t.toLowerCase() === key);
      return loop.rows.map((r) => r[i]);
    }
    const item = this.items.get(key);
    return item ? [item] : undefined;
  }

  /** The loop that holds `tag`, if it is in one. */
  loopOf(tag: string): CifLoop | undefined {
    return this.#loopOf.get(tag.toLowerCase());
  }

  /** All tags as written, in no particular order. */
  get tags(): string[] {
    return [...this.#tagCase.values()];
  }
}

/** A parsed CIF file. */
export interface CifDocument {
  file: string;
  blocks: CifBlock[];
}

interface Token {
  text: string;
  quoted: boolean;
  line: number;
  col: number;
}

/** Split CIF text into tokens with positions. */
function tokenize(text: string, file: string): Token[] {
  const lines = text.split(/\r\n|\r|\n/);
  const toks: Token[] = [];
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li];
    const lineNo = li + 1;
    if (line.startsWith(";")) {
      // text field: up to the next line that starts with ';'
      const parts = [line.slice(1)];
      let end = li + 1;
      while (end < lines.length && !lines[end].startsWith(";")) parts.push(lines[end++]);
      if (end >= lines.length) throw new CifSyntaxError("Unterminated text field (no closing ';' line)", file, lineNo);
      // CIF 1.1: a text field's value starts after the ';'; a lone ';' line gives a leading newline we drop
      const value = parts[0].trim() === "" ? parts.slice(1).join("\n") : parts.join("\n");
      toks.push({ text: value, quoted: true, line: lineNo, col: 1 });
      li = end;
      const rest = lines[end].slice(1);
      scanLine(rest, end + 1, 2, toks, file);
      continue;
    }
    scanLine(line, lineNo, 1, toks, file);
  }
  return toks;
}

function isWs(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === undefined || c === "\v" || c === "\f";
}

function scanLine(line: string, lineNo: number, col0: number, toks: Token[], file: string): void {
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line[i];
    if (isWs(c)) {
      i++;
      continue;
    }
    if (c === "#") return; // comment to end of line
    if (c === "'" || c === '"') {
      // CIF 1.1: the closing quote must be followed by whitespace or the end of the line
      let j = i + 1;
      while (j < n && !(line[j] === c && isWs(line[j + 1]))) j++;
      if (j >= n) throw new CifSyntaxError(`Unterminated quoted string starting ${line.slice(i, i + 20)}`, file, lineNo, i + col0);
      toks.push({ text: line.slice(i + 1, j), quoted: true, line: lineNo, col: i + col0 });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < n && !isWs(line[j])) j++;
    toks.push({ text: line.slice(i, j), quoted: false, line: lineNo, col: i + col0 });
    i = j;
  }
}

function isReserved(t: Token): boolean {
  if (t.quoted) return false;
  const l = t.text.toLowerCase();
  return l.startsWith("data_") || l === "loop_" || l.startsWith("save_") || l === "global_" || l === "stop_";
}

function isTag(t: Token): boolean {
  return !t.quoted && t.text.startsWith("_");
}

/**
 * Parse CIF text into blocks.
 *
 * @param text The file contents.
 * @param file A name for error messages.
 * @returns The blocks in file order.
 * @throws {CifSyntaxError} For text that is not CIF, naming file and line.
 * @example Two blocks
 * ```ts
 * import { parseCif } from "./parse_cif.ts";
 * const doc = parseCif("data_a\n_cell_length_a 5.6402(3)\ndata_b\nloop_\n_x\n1 2\n");
 * if (doc.blocks.length !== 2 || doc.blocks[1].column("_x")?.length !== 2) throw new Error();
 * ```
 */
export function parseCif(text: string, file = "<string>"): CifDocument {
  if (text.includes("\u0000")) {
    const line = text.slice(0, text.indexOf("\u0000")).split("\n").length;
    throw new CifSyntaxError("Binary data (NUL byte) in CIF text", file, line);
  }
  const toks = tokenize(text.replace(/^\uFEFF/, ""), file);
  const blocks: CifBlock[] = [];
  let block: CifBlock | undefined;
  let i = 0;
  while (i < toks.length) {
    const t = toks[i];
    const low = t.quoted ? "" : t.text.toLowerCase();
    if (low.startsWith("data_")) {
      block = new CifBlock(t.text.slice(5), t.line, file);
      blocks.push(block);
      i++;
      continue;
    }
    if (low === "global_" || low === "stop_") {
      i++;
      continue;
    }
    if (low.startsWith("save_")) {
      // save frames (dictionaries) are skipped whole
      i++;
      while (i < toks.length && !(!toks[i].quoted && toks[i].text.toLowerCase() === "save_")) i++;
      i++;
      continue;
    }
    if (!block) throw new CifSyntaxError(`Expected a data_ block header, found "${t.text.slice(0, 30)}"`, file, t.line, t.col);
    if (low === "loop_") {
      const loop: CifLoop = { tags: [], rows: [], line: t.line };
      i++;
      while (i < toks.length && isTag(toks[i])) loop.tags.push(toks[i++].text);
      if (loop.tags.length === 0) throw new CifSyntaxError("loop_ without tags", file, t.line, t.col);
      const values: CifValue[] = [];
      while (i < toks.length && !isTag(toks[i]) && !isReserved(toks[i])) {
        const v = toks[i++];
        values.push({ text: v.text, quoted: v.quoted, line: v.line });
      }
      if (values.length % loop.tags.length !== 0) {
        const last = values.length ? values[values.length - 1].line : t.line;
        throw new CifSyntaxError(
          `loop_ with ${loop.tags.length} tags has ${values.length} values, not a multiple (${loop.tags[0]} …)`,
          file,
          last,
        );
      }
      for (let r = 0; r < values.length; r += loop.tags.length) loop.rows.push(values.slice(r, r + loop.tags.length));
      block.addLoop(loop);
      continue;
    }
    if (isTag(t)) {
      const v = toks[i + 1];
      if (!v || isTag(v) || isReserved(v)) throw new CifSyntaxError(`Tag ${t.text} has no value`, file, t.line, t.col);
      block.setItem(t.text, { text: v.text, quoted: v.quoted, line: v.line });
      i += 2;
      continue;
    }
    // pymatgen's CifBlock skips such a value with a warning ("Possible issue in cif file"): an
    // unquoted `P 1` reads as `P`, the `1` is dropped
    block.warnings.push(`${file}:${t.line}:${t.col}: value "${t.text.slice(0, 30)}" without a tag is skipped`);
    i++;
  }
  if (blocks.length === 0) throw new CifSyntaxError("No data_ block found", file, 1);
  return { file, blocks };
}

/** True for the unquoted CIF null values `?` (unknown) and `.` (inapplicable). */
export function isNull(v: CifValue | undefined): boolean {
  return !v || (!v.quoted && (v.text === "?" || v.text === "."));
}

/** A number with its standard uncertainty, e.g. `5.6402(3)` → `{ value: 5.6402, su: 0.0003 }`. */
export interface CifNumber {
  value: number;
  su?: number;
}

const NUMBER_RE = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(?:\((\d+)\))?$/;

/**
 * Read a CIF numeric value.
 *
 * @param v The value.
 * @returns The number and its standard uncertainty, or `undefined` when it is not a number.
 */
export function cifNumber(v: CifValue | string): CifNumber | undefined {
  const text = typeof v === "string" ? v : v.text;
  const m = NUMBER_RE.exec(text.trim());
  if (!m) return undefined;
  const value = Number(m[1]);
  if (m[2] === undefined) return { value };
  // su applies to the last digit written: 5.6402(3) → 0.0003; 1.5e2(3) scales with the exponent
  const mant = m[1].replace(/[eE].*$/, "");
  const exp = /[eE]([+-]?\d+)/.exec(m[1]);
  const decimals = mant.includes(".") ? mant.length - mant.indexOf(".") - 1 : 0;
  const su = Number(`${m[2]}e${-decimals + (exp ? Number(exp[1]) : 0)}`);
  return { value, su };
}
