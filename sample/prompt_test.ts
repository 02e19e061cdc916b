import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { hasPython, runPython } from "../pickle/_test_utils.ts";
import { makePrompt, PromptError, promptSlug, promptText } from "./prompt.ts";
import { resolvePrompt } from "./generate.ts";

/** Upstream's get_prompt (bin/make_prompt_file.py) on Debian pymatgen, with upstream's props block. */
const REFERENCE = `
import json, re, sys
src = open(sys.argv[1]).read()
exec(src[:src.index("def extract_numeric_property")])
from pymatgen.core import Composition
def get_prompt(comp, sg=None):
    comp_str = comp.formula.replace(" ", "")
    if sg is not None:
        block = get_atomic_props_block(Composition(comp_str))
        cif_str = f"data_{comp_str}\\n{block}\\n_symmetry_space_group_name_H-M {sg}\\n"
        return re.sub(r"^[ \\t]+|[ \\t]+$", "", cif_str, flags=re.MULTILINE)
    return f"data_{comp_str}\\n"
print(json.dumps([get_prompt(Composition(c), sg) for c, sg in json.load(sys.stdin)]))
`;

const CASES: [string, string | null][] = [
  ["Na2Cl2", null],
  ["BaTiO3", null],
  ["LiFePO4", null],
  ["Li4Fe4P4O16", null],
  ["Al2O3", "R-3c"],
  ["Na2Cl2", "Fm-3m"],
  ["Ba2Ti2O6", "P4mm"],
  ["SiO2", "P3_221"],
  ["TiO2", "P4_2/mnm"],
  ["MgO", null],
];

Deno.test({
  name: "makePrompt() equals upstream's make_prompt_file.py get_prompt (pymatgen reference)",
  ignore: !hasPython(["pymatgen"]) && !Deno.env.get("CI"),
  async fn() {
    const ref = JSON.parse(new TextDecoder().decode(
      await runPython(
        REFERENCE,
        new TextEncoder().encode(JSON.stringify(CASES)),
        [fileURLToPath(new URL("../tests/parity/dataset_upstream_preprocess.py", import.meta.url))],
      ),
    )) as string[];
    CASES.forEach(([c, sg], i) => assert.equal(makePrompt(c, sg ?? undefined), ref[i], `${c} ${sg}`));
  },
});

Deno.test("promptText()/promptSlug() keep data_ text and turn compositions into upstream prompts", async () => {
  assert.equal(promptText("data_Na2Cl2"), "data_Na2Cl2\n");
  assert.equal(promptText("BaTiO3"), "data_Ba1Ti1O3\n");
  assert.match(
    promptText("Na2Cl2 Fm-3m"),
    /^data_Na2Cl2\nloop_\n_atom_type_symbol\n[^]*\n_symmetry_space_group_name_H-M Fm-3m\n$/,
  );
  assert.equal(promptSlug("Na2Cl2 Fm-3m"), "Na2Cl2_Fm-3m");
  assert.equal(promptSlug("data_Na2Cl2\n"), "Na2Cl2");
  assert.equal(promptSlug("TiO2 P4_2/mnm"), "Ti1O2_P4_2-mnm");
  assert.throws(() => promptText("NaCl Fm-4m"), PromptError);
  assert.throws(() => promptText("Na(2"), PromptError);
  assert.equal(await resolvePrompt("Na2Cl2", "Fm-3m"), promptText("Na2Cl2 Fm-3m"));
  await assert.rejects(() => resolvePrompt("data_Na2Cl2\n", "Fm-3m"), PromptError);
});
