/**
 * One CIF read once for all checks: pymatgen's blocks (`CifParser.from_string`) and
 * structure (`Structure.from_str(cif, "cif")`), each computed on first use and kept
 * with its error, so that every check sees what upstream's own re-parsing would see.
 *
 * Private to `evaluate/`.
 *
 * @module
 */
import { structureFromBlock } from "../cif/from_cif.ts";
import type { Structure } from "../cif/structure.ts";
import { spaceGroupOpsForCif } from "../symmetry/cif_fallback.ts";
import { type PmgBlock, pmgCifBlocks, type PmgValue, PyError, toLeadBlock } from "./_pymatgen_cif.ts";

export type { PmgBlock, PmgValue, Structure };

export { PyError };

/** A CIF with its pymatgen reading cached. */
export class ParsedCif {
  #blocks?: PmgBlock[];
  #blocksError?: unknown;
  #structure?: Structure;
  #structureError?: unknown;
  #memo = new Map<string, { value?: unknown; error?: unknown }>();

  /** The CIF text. */
  readonly text: string;
  /** A name for messages. */
  readonly file: string;

  /**
   * @param text The CIF text.
   * @param file A name for messages.
   */
  constructor(text: string, file = "<string>") {
    this.text = text;
    this.file = file;
  }

  /** `CifParser.from_string(text)` blocks; throws what pymatgen raises. */
  get blocks(): PmgBlock[] {
    if (this.#blocks) return this.#blocks;
    if (this.#blocksError !== undefined) throw this.#blocksError;
    try {
      return this.#blocks = pmgCifBlocks(this.text);
    } catch (e) {
      throw this.#blocksError = e;
    }
  }

  /**
   * A derived result computed once (errors are kept and rethrown too).
   *
   * @param key Name of the result.
   * @param f Computes it.
   * @returns The cached value.
   */
  memo<T>(key: string, f: () => T): T {
    let m = this.#memo.get(key);
    if (!m) {
      m = {};
      try {
        m.value = f();
      } catch (e) {
        m.error = e;
      }
      this.#memo.set(key, m);
    }
    if ("error" in m) throw m.error;
    return m.value as T;
  }

  /** `Structure.from_str(text, fmt="cif")`; throws what pymatgen raises. */
  get structure(): Structure {
    if (this.#structure) return this.#structure;
    if (this.#structureError !== undefined) throw this.#structureError;
    try {
      const blocks = this.blocks;
      for (const b of blocks) {
        try {
          return this.#structure = structureFromBlock(toLeadBlock(b, this.file), {
            file: this.file,
            spaceGroupOps: spaceGroupOpsForCif,
          });
        } catch {
          // CifParser.get_structures: a block without a structure only warns
        }
      }
      throw new PyError("ValueError", "Invalid cif file with no structures!");
    } catch (e) {
      throw this.#structureError = e;
    }
  }
}

/**
 * The parsed form of a check's argument.
 *
 * @param cif CIF text or an already parsed CIF.
 * @returns A {@link ParsedCif}.
 */
export function asParsed(cif: string | ParsedCif): ParsedCif {
  return typeof cif === "string" ? new ParsedCif(cif) : cif;
}

/** Text of a check error for reports: `KeyError: '_chemical_formula_sum'`. */
export function errorText(e: unknown): string {
  if (e instanceof PyError) return e.message;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}
