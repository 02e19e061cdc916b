/**
 * Post-processing of generated CIFs, as upstream CrystaLLM's `bin/postprocess.py`
 * (commit 8e81a86) does it with `crystallm/_utils.py`:
 *
 * 1. `extract_space_group_symbol`: the value after `_symmetry_space_group_name_H-M`
 *    (quoted or not); a CIF without one fails.
 * 2. unless the symbol is the literal `"P 1"`, `replace_symmetry_operators`: every
 *    `loop_\n_symmetry_equiv_pos_site_id\n_symmetry_equiv_pos_as_xyz\n1 'x, y, z'` is
 *    replaced by the operator loop of `SpaceGroup(symbol)`, written by pymatgen's
 *    `CifBlock` (so an unquoted `P1` also gets its one-operator loop rewritten);
 * 3. `remove_atom_props_block`: the `loop_` between the `data_` line and
 *    `_symmetry_space_group_name_H-M` (the `_atom_type_*` properties) is dropped.
 *
 * On any failure upstream prints `error post-processing CIF file '<name>': <error>`,
 * counts the file and writes it with a warning comment in front; it never drops it.
 *
 * @module
 */
import { formatCifBlock } from "../cif/write_cif.ts";
import { spaceGroupOps } from "../symmetry/space_group_ops.ts";

/** The comment upstream puts in front of a CIF it could not post-process. */
export const POSTPROCESS_WARNING = "# WARNING: CrystaLLM could not post-process this file properly!\n";

/** Thrown by the steps of {@link postprocessCif}; the message is upstream's. */
export class PostprocessError extends Error {
  /** Always `"PostprocessError"`. */
  override name = "PostprocessError";
}

/** What {@link postprocess} made of one CIF. */
export interface PostprocessResult {
  /** The text to write: post-processed, or the input behind {@link POSTPROCESS_WARNING}. */
  output: string;
  /** False when a step failed (upstream counts these as failures). */
  ok: boolean;
  /** The message upstream prints for a failure, else `""`. */
  printed: string;
}

/** Options for {@link postprocess}. */
export interface PostprocessOptions {
  /** File name used in the failure message. @default {"<string>"} */
  file?: string;
}

// crystallm/_utils.py extract_space_group_symbol: r"_symmetry_space_group_name_H-M\s+('([^']+)'|(\S+))"
const SG_SYMBOL = /_symmetry_space_group_name_H-M\s+('([^']+)'|(\S+))/;

/**
 * Upstream's `extract_space_group_symbol`.
 *
 * @param cif CIF text.
 * @returns The stated space-group symbol (quotes removed).
 * @throws {PostprocessError} `could not extract space group from:\n<cif>` when there is none.
 * @example
 * ```ts
 * import { extractSpaceGroupSymbol } from "./postprocess.ts";
 * import assert from "node:assert/strict";
 * assert.equal(extractSpaceGroupSymbol("_symmetry_space_group_name_H-M   'P 1'\n"), "P 1");
 * ```
 */
export function extractSpaceGroupSymbol(cif: string): string {
  const m = SG_SYMBOL.exec(cif);
  if (m) return m[2] ? m[2] : m[3];
  throw new PostprocessError(`could not extract space group from:\n${cif}`);
}

// crystallm/_utils.py replace_symmetry_operators: the single-operator loop CrystaLLM generates
const P1_LOOP = "loop_\n_symmetry_equiv_pos_site_id\n_symmetry_equiv_pos_as_xyz\n1 'x, y, z'";

/**
 * Upstream's `replace_symmetry_operators`: swap the `x, y, z` loop for the operators of
 * `SpaceGroup(symbol)` as `str(CifBlock(...))` prints them.
 *
 * @param cif CIF text.
 * @param symbol H-M symbol as CrystaLLM writes it (`Fm-3m`).
 * @returns The CIF with every single-operator loop replaced (unchanged when it has none); the
 *   operators keep pymatgen's set-iteration order, so `x, y, z` need not come first.
 * @throws {PostprocessError} `Bad international symbol <symbol>` for a symbol pymatgen rejects.
 * @example
 * ```ts
 * import { replaceSymmetryOperators } from "./postprocess.ts";
 * import assert from "node:assert/strict";
 * const out = replaceSymmetryOperators("loop_\n_symmetry_equiv_pos_site_id\n_symmetry_equiv_pos_as_xyz\n1 'x, y, z'\n", "P-1");
 * assert.equal(out, "loop_\n _symmetry_equiv_pos_site_id\n _symmetry_equiv_pos_as_xyz\n  1  '-x, -y, -z'\n  2  'x, y, z'\n");
 * ```
 */
export function replaceSymmetryOperators(cif: string, symbol: string): string {
  const sg = spaceGroupOps(symbol);
  // pymatgen 2022.11.7 SpaceGroup.__init__ raises ValueError(f"Bad international symbol {int_symbol}")
  if (!sg) throw new PostprocessError(`Bad international symbol ${symbol}`);
  const data = new Map<string, string[]>([
    ["_symmetry_equiv_pos_site_id", sg.ops.map((_, i) => String(i + 1))],
    ["_symmetry_equiv_pos_as_xyz", sg.ops],
  ]);
  const block = formatCifBlock("", data, [["_symmetry_equiv_pos_site_id", "_symmetry_equiv_pos_as_xyz"]])
    .replace("data_\n", "");
  // re.sub with a literal pattern: replace every occurrence (split/join avoids `$` in replacements)
  return cif.split(P1_LOOP).join(block);
}

// crystallm/_utils.py remove_atom_props_block
const ATOM_PROPS = /(data_[^\n]*\n)loop_[\s\S]*?(_symmetry_space_group_name_H-M)/g;

/**
 * Upstream's `remove_atom_props_block`.
 *
 * @param cif CIF text.
 * @returns The CIF without the `loop_` between `data_…` and `_symmetry_space_group_name_H-M`.
 * @example
 * ```ts
 * import { removeAtomPropsBlock } from "./postprocess.ts";
 * import assert from "node:assert/strict";
 * const cif = "data_Na1\nloop_\n_atom_type_symbol\nNa\n_symmetry_space_group_name_H-M P1\n";
 * assert.equal(removeAtomPropsBlock(cif), "data_Na1\n_symmetry_space_group_name_H-M P1\n");
 * ```
 */
export function removeAtomPropsBlock(cif: string): string {
  return cif.replace(ATOM_PROPS, "$1$2");
}

/**
 * `postprocess(cif)` of upstream's `bin/postprocess.py`, throwing on failure.
 *
 * @param cif Generated CIF text.
 * @returns The post-processed CIF.
 * @throws {PostprocessError} When the space group is missing or unknown.
 */
export function postprocessCif(cif: string): string {
  const symbol = extractSpaceGroupSymbol(cif);
  if (symbol !== "P 1") cif = replaceSymmetryOperators(cif, symbol);
  return removeAtomPropsBlock(cif);
}

/**
 * Post-process one generated CIF the way `bin/postprocess.py` does, never failing:
 * a CIF that cannot be processed comes back behind upstream's warning comment.
 *
 * @param cif Generated CIF text.
 * @param options The file name for the failure message.
 * @returns Output text, whether it worked, and upstream's failure message.
 * @example Full operator list for P4mm, atomic-properties block removed
 * ```ts
 * import { postprocess } from "./postprocess.ts";
 * import assert from "node:assert/strict";
 * const r = postprocess("data_X\n_symmetry_space_group_name_H-M P4mm\nloop_\n_symmetry_equiv_pos_site_id\n_symmetry_equiv_pos_as_xyz\n1 'x, y, z'\n");
 * assert.ok(r.ok);
 * assert.equal(r.output.split("\n").filter((l) => l.startsWith("  ")).length, 8);
 * assert.ok(!postprocess("data_X\n", { file: "x.cif" }).ok);
 * ```
 */
export function postprocess(cif: string, options: PostprocessOptions = {}): PostprocessResult {
  try {
    return { output: postprocessCif(cif), ok: true, printed: "" };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return {
      output: POSTPROCESS_WARNING + cif,
      ok: false,
      printed: `error post-processing CIF file '${options.file ?? "<string>"}': ${msg}`,
    };
  }
}
