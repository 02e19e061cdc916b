/**
 * Sampling prompts as upstream CrystaLLM builds them (`bin/make_prompt_file.py`, `get_prompt`):
 *
 * - a composition becomes `data_<comp.formula without spaces>\n`: pymatgen's `formula` orders
 *   the elements by electronegativity and writes every count (`BaTiO3` → `data_Ba1Ti1O3\n`),
 *   which is what the model saw in training;
 * - with a space group, the atomic-properties block of that formula and the space-group line
 *   follow, every line stripped of leading and trailing blanks.
 *
 * @module
 */
import { Composition } from "../cif/composition.ts";
import { atomicPropsBlock } from "../data/preprocess.ts";
import { spaceGroupOps } from "../symmetry/space_group_ops.ts";

/** Thrown for a prompt that cannot be used. */
export class PromptError extends Error {
  override name = "PromptError";
}

/**
 * Upstream's `get_prompt(Composition(composition), sg)`.
 *
 * @param composition Cell composition, e.g. `Na2Cl2` or `BaTiO3` (counts per cell).
 * @param spaceGroup Optional H-M symbol as CrystaLLM writes it (`Fm-3m`, `P4_2/n`).
 * @returns The prompt text.
 * @throws {PromptError} For an unreadable composition or an unknown space-group symbol.
 * @example
 * ```ts
 * import { makePrompt } from "./prompt.ts";
 * if (makePrompt("BaTiO3") !== "data_Ba1Ti1O3\n") throw new Error();
 * if (!makePrompt("Na2Cl2", "Fm-3m").endsWith("\n_symmetry_space_group_name_H-M Fm-3m\n")) throw new Error();
 * ```
 */
export function makePrompt(composition: string, spaceGroup?: string): string {
  let comp: Composition;
  try {
    comp = Composition.parse(composition);
  } catch (e) {
    throw new PromptError(
      `Cannot read the prompt composition ${JSON.stringify(composition)}: ${(e as Error).message}`,
    );
  }
  const compStr = comp.formula.replaceAll(" ", "");
  if (spaceGroup === undefined) return `data_${compStr}\n`;
  if (!spaceGroupOps(spaceGroup)) {
    throw new PromptError(
      `Unknown space group ${
        JSON.stringify(spaceGroup)
      }: use the H-M symbol as CrystaLLM writes it, e.g. Fm-3m, P6_3/mmc`,
    );
  }
  let block: string;
  try {
    block = atomicPropsBlock(Composition.parse(compStr));
  } catch (e) {
    throw new PromptError(`Cannot build the prompt for ${compStr}: ${(e as Error).message}`);
  }
  const text = `data_${compStr}\n${block}\n_symmetry_space_group_name_H-M ${spaceGroup}\n`;
  return text.replace(/^[ \t]+|[ \t]+$/gm, "");
}

/**
 * The prompt text for a prompt entry (YAML or `--prompt`): text starting with `data_` is used
 * as it is (a final newline added), `Na2Cl2` and `Na2Cl2 Fm-3m` go through {@link makePrompt}.
 *
 * @param p The entry.
 * @returns The prompt text.
 * @throws {PromptError} For an empty entry, a bad composition or an unknown space group.
 */
export function promptText(p: string): string {
  if (p.startsWith("data_")) return p.endsWith("\n") ? p : p + "\n";
  const parts = p.trim().split(/\s+/).filter((x) => x);
  if (parts.length === 0) throw new PromptError("Cannot sample: the prompt is empty");
  if (parts.length > 2) {
    throw new PromptError(
      `Cannot read prompt ${JSON.stringify(p)}: expected "<composition> [<space group>]"`,
    );
  }
  return makePrompt(parts[0], parts[1]);
}

/**
 * A file-name-safe slug of a prompt: its `data_` formula, plus `_<space group>` when it has one
 * (`data_Na2Cl2\n` → `Na2Cl2`, `Na2Cl2 Fm-3m` → `Na2Cl2_Fm-3m`).
 *
 * @param p The entry.
 * @returns The slug.
 */
export function promptSlug(p: string): string {
  const text = promptText(p);
  const formula = /^data_(\S*)/.exec(text)?.[1] ?? "";
  const sg = /^_symmetry_space_group_name_H-M\s+(\S+)/m.exec(text)?.[1];
  return (sg ? `${formula}_${sg}` : formula).replace(/[^A-Za-z0-9_.-]/g, "-");
}
