/**
 * pymatgen 2022.11.7's own CIF reading (`pymatgen/io/cif.py`: `CifFile.from_string`,
 * `CifBlock.from_string`, `CifBlock._process_string` and the parts of
 * `CifParser._sanitize_data` that can fail), reproduced quirk for quirk.
 *
 * Upstream CrystaLLM's checks read CIFs through `CifParser.from_string(cif).as_dict()`,
 * so what counts as a tag, a loop, a block — and which malformed inputs raise
 * `ZeroDivisionError` or `AssertionError` instead of parsing — decides their answers.
 * The blocks read here are also handed to the lead's `structureFromBlock`, so that
 * `parse_ok` follows pymatgen's tokenizer too.
 *
 * Private to `evaluate/`.
 *
 * @module
 */
import { CifBlock as LeadCifBlock } from "../cif/parse_cif.ts";

/** A Python exception, named as Python names it (`KeyError: '_chemical_formula_sum'`). */
export class PyError extends Error {
  /** Always `"PyError"`; the Python class is {@link PyError.pyType}. */
  override name = "PyError";
  /**
   * @param pyType Python exception class name.
   * @param detail The text after the colon.
   */
  constructor(readonly pyType: string, readonly detail: string) {
    super(`${pyType}: ${detail}`);
  }
}

/** A value as pymatgen keeps it, plus whether it was quoted (for CIF nulls). */
export interface PmgValue {
  /** The value as pymatgen keeps it (quotes removed). */
  text: string;
  /** Written quoted or as a text field. */
  quoted: boolean;
}

/** One block of `CifFile.data`. */
export interface PmgBlock {
  /** The name after `data_`. */
  header: string;
  /** Tag → scalar, or loop column (insertion order as Python's dict). */
  data: Map<string, PmgValue | PmgValue[]>;
  /** The tags of each loop. */
  loops: string[][];
}

// Python's str `\s` after remove_non_ascii: ASCII whitespace plus \x1c-\x1f
const WS = "[\\t\\n\\v\\f\\r \\x1c-\\x1f]";
const NWS = "[^\\t\\n\\v\\f\\r \\x1c-\\x1f]";
const COMMENT = new RegExp(`(${WS}|^)#.*$`, "gm");
const EMPTY_LINE = new RegExp(`^${WS}*\\n`, "gm");
// p = re.compile(r"""([^'"\s][\S]*)|'(.*?)'(?!\S)|"(.*?)"(?!\S)""")
const TOKEN = new RegExp(
  `([^'"\\t\\n\\v\\f\\r \\x1c-\\x1f]${NWS}*)|'(.*?)'(?!${NWS})|"(.*?)"(?!${NWS})`,
  "g",
);
// str.splitlines() boundaries that survive remove_non_ascii
// deno-lint-ignore no-control-regex -- Python's splitlines() also breaks at \x1c-\x1e
const SPLITLINES = /\r\n|[\n\r\v\f\x1c\x1d\x1e]/;
const BLOCK_SPLIT = new RegExp(`^${WS}*data_`, "m");

/** One token of `_process_string`: `s0` is the unquoted group (empty for quoted values). */
interface Tok {
  s0: string;
  joined: string;
  quoted: boolean;
}

/** Python `str.strip()` for the ASCII text left after `remove_non_ascii`. */
function pyStrip(s: string): string {
  return s.replace(new RegExp(`^${WS}+|${WS}+$`, "g"), "");
}

/** `CifBlock._process_string`. */
function processString(text: string): Tok[] {
  let s = text.replace(COMMENT, "");
  s = s.replace(EMPTY_LINE, "");
  // remove_non_ascii: string.encode("ascii", "ignore").decode("ascii")
  // deno-lint-ignore no-control-regex -- the ASCII range, not a control character
  s = s.replace(/[^\x00-\x7f]/g, "");
  const q: Tok[] = [];
  let multiline = false;
  let ml: string[] = [];
  const lines = s.split(SPLITLINES);
  // splitlines() drops the empty string after a final line break
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  for (let l of lines) {
    if (multiline) {
      if (l.startsWith(";")) {
        multiline = false;
        q.push({ s0: "", joined: ml.join(" "), quoted: true });
        ml = [];
        l = pyStrip(l.slice(1));
      } else {
        ml.push(l);
        continue;
      }
    }
    if (l.startsWith(";")) {
      multiline = true;
      ml.push(pyStrip(l.slice(1)));
    } else {
      TOKEN.lastIndex = 0;
      for (const m of l.matchAll(TOKEN)) {
        const g1 = m[1] ?? "", g2 = m[2] ?? "", g3 = m[3] ?? "";
        q.push({ s0: g1, joined: g1 + g2 + g3, quoted: m[1] === undefined });
      }
    }
  }
  return q;
}

/** `CifBlock.from_string`. */
function blockFromString(text: string): PmgBlock {
  const q = processString(text);
  let qi = 0;
  if (q.length === 0) throw new PyError("IndexError", "pop from an empty deque");
  const header = q[qi++].s0.slice(5);
  const data = new Map<string, PmgValue | PmgValue[]>();
  const loops: string[][] = [];
  while (qi < q.length) {
    const s = q[qi++];
    if (s.s0 === "_eof") break;
    if (s.s0.startsWith("_")) {
      const v = qi < q.length ? q[qi++] : undefined;
      data.set(s.s0, v ? { text: v.joined, quoted: v.quoted } : { text: "", quoted: false });
    } else if (s.s0.startsWith("loop_")) {
      const columns: string[] = [];
      const items: PmgValue[] = [];
      while (qi < q.length) {
        const t = q[qi];
        if (t.s0.startsWith("loop_") || !t.s0.startsWith("_")) break;
        columns.push(q[qi++].joined);
        data.set(columns[columns.length - 1], []);
      }
      while (qi < q.length) {
        const t = q[qi];
        if (t.s0.startsWith("loop_") || t.s0.startsWith("_")) break;
        const v = q[qi++];
        items.push({ text: v.joined, quoted: v.quoted });
      }
      if (columns.length === 0) throw new PyError("ZeroDivisionError", "integer division or modulo by zero");
      const n = Math.floor(items.length / columns.length);
      if (n === 0) throw new PyError("ZeroDivisionError", "integer modulo by zero");
      if (items.length % n !== 0) throw new PyError("AssertionError", "");
      loops.push(columns);
      // zip(columns * n, items): stops at the shorter
      const total = Math.min(columns.length * n, items.length);
      for (let i = 0; i < total; i++) {
        (data.get(columns[i % columns.length]) as PmgValue[]).push({
          text: pyStrip(items[i].text),
          quoted: items[i].quoted,
        });
      }
    }
    // anything else: pymatgen only warns ("Possible issue in cif file at line")
  }
  return { header, data, loops };
}

/**
 * `CifParser.from_string(text)._cif.data`: the blocks by header (a repeated header keeps
 * its first position and the last block, as a Python dict does), after the checks of
 * `_sanitize_data` that can raise.
 *
 * @param text CIF text.
 * @returns Blocks in dict order.
 * @throws {PyError} With the Python exception pymatgen would raise.
 */
export function pmgCifBlocks(text: string): PmgBlock[] {
  const parts = ("x\n" + text).split(BLOCK_SPLIT).slice(1);
  const blocks = new Map<string, PmgBlock>();
  for (const x of parts) {
    // blocks whose header line mentions powder_pattern are skipped
    if (x.split("\n", 1)[0].includes("powder_pattern")) continue;
    const b = blockFromString("data_" + x);
    sanitize(b);
    blocks.set(b.header, b);
  }
  return [...blocks.values()];
}

/** The parts of `CifParser._sanitize_data` that raise on CrystaLLM-style CIFs. */
function sanitize(b: PmgBlock): void {
  if (!b.data.has("_atom_site_type_symbol")) return;
  const labels = b.data.get("_atom_site_label");
  if (labels === undefined) throw new PyError("KeyError", "'_atom_site_label'");
  const types = b.data.get("_atom_site_type_symbol")!;
  const n = Array.isArray(labels) ? labels.length : labels.text.length;
  const typeLen = Array.isArray(types) ? types.length : types.text.length;
  if (typeLen < n) throw new PyError("IndexError", "list index out of range");
}

/** A scalar's text, or the Python repr-ish join of a column (what `as_dict` would hold). */
export function pmgText(v: PmgValue | PmgValue[] | undefined): string | string[] | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.map((x) => x.text) : v.text;
}

/**
 * `cif_data[list(cif_data.keys())[0]][tag]` of upstream's checks.
 *
 * @param blocks From {@link pmgCifBlocks}.
 * @param tag The tag.
 * @returns Its text (a column comes back as an array).
 * @throws {PyError} `IndexError` without blocks, `KeyError` without the tag.
 */
export function firstBlockValue(blocks: PmgBlock[], tag: string): string | string[] {
  if (blocks.length === 0) throw new PyError("IndexError", "list index out of range");
  const v = blocks[0].data.get(tag);
  if (v === undefined) throw new PyError("KeyError", `'${tag}'`);
  return pmgText(v)!;
}

/**
 * The same block as the lead's {@link LeadCifBlock}, for `structureFromBlock`.
 *
 * @param b A pymatgen-read block.
 * @param file File name for messages.
 * @returns A block with the same items and loops (tags keep pymatgen's case-sensitive last-wins order).
 */
export function toLeadBlock(b: PmgBlock, file: string): LeadCifBlock {
  const block = new LeadCifBlock(b.header, 0, file);
  for (const [tag, v] of b.data) {
    if (!Array.isArray(v)) block.setItem(tag, { text: v.text, quoted: v.quoted, line: 0 });
  }
  for (const cols of b.loops) {
    // a later scalar or loop with the same tag replaced this column in pymatgen's dict
    const live = cols.filter((c) => Array.isArray(b.data.get(c)));
    if (live.length === 0) continue;
    const columns = live.map((c) => b.data.get(c) as PmgValue[]);
    const nRows = Math.min(...columns.map((c) => c.length));
    const rows = [];
    for (let r = 0; r < nRows; r++) {
      rows.push(columns.map((c) => ({ text: c[r].text, quoted: c[r].quoted, line: 0 })));
    }
    block.addLoop({ tags: live, rows, line: 0 });
  }
  return block;
}
