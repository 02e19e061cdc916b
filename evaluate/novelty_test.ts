import assert from "node:assert/strict";
import { join } from "node:path";
import { structureFromCif } from "../cif/from_cif.ts";
import { hasPython, runPython } from "../pickle/_test_utils.ts";
import { readCorpus } from "../tests/corpora.ts";
import { loadTrainingSet, novelty } from "./novelty.ts";
import { evaluate } from "./evaluate.ts";
import { symmetrizedCif } from "../symmetry/symmetrize.ts";
import { preprocessCif } from "../data/preprocess.ts";
import { encodeCif, loadTokenizer } from "../data/tokenizer.ts";
import { encodeTokenIds } from "../data/token_files.ts";
import { encodeMetaPkl } from "../data/meta_pkl.ts";

/**
 * Upstream's novelty loop (bin/check_valid_unique_novel.py) with pymatgen, on CIFs treated as
 * valid: greedy uniques by cell formula, then novel unless a training CIF of that cell formula
 * matches. Independent of our matcher and parser.
 */
const REFERENCE = `
import json, sys, warnings
warnings.filterwarnings("ignore")
from pymatgen.core import Structure
from pymatgen.analysis.structure_matcher import StructureMatcher
req = json.load(sys.stdin)
sm = StructureMatcher(ltol=0.2, stol=0.3, angle_tol=5)
base = {}
for cif in req["train"]:
    s = Structure.from_str(cif, fmt="cif")
    base.setdefault(s.composition.formula, []).append(s)
comps = {}
for cif in req["gen"]:
    s = Structure.from_str(cif, fmt="cif")
    f = s.composition.formula
    if f not in comps:
        comps[f] = [s]
    elif not any(sm.fit(s, e) for e in comps[f]):
        comps[f].append(s)
uniq = [s for g in comps.values() for s in g]
novel = by_comp = 0
for s in uniq:
    f = s.composition.formula
    if f not in base:
        novel += 1; by_comp += 1
    elif not any(sm.fit(s, t) for t in base[f]):
        novel += 1
print(json.dumps({"unique": len(uniq), "novel": novel, "by_comp": by_comp}))
`;

Deno.test({
  name: "novelty() counts as upstream's check_valid_unique_novel.py does (pymatgen reference)",
  ignore: !hasPython(["pymatgen"]) && !Deno.env.get("CI"),
  async fn() {
    const cifs = readCorpus("data/aflow-prototypes/prototypes.csv.gz", 60).map((r) => r.cif);
    // generated: prototypes 20–59 plus repeats of 20–29 (not unique); training: prototypes 0–39
    const gen = [...cifs.slice(20), ...cifs.slice(20, 30)];
    const trainDir = Deno.makeTempDirSync();
    cifs.slice(0, 40).forEach((c, i) => Deno.writeTextFileSync(join(trainDir, `t${i}.cif`), c));
    const train = loadTrainingSet(trainDir);
    assert.equal(train.n, 40);
    const structures = gen.map((c) => structureFromCif(c));
    const ours = novelty(structures.map(() => ({ is_valid: true })), structures, train);
    const ref = JSON.parse(new TextDecoder().decode(
      await runPython(REFERENCE, new TextEncoder().encode(JSON.stringify({ gen, train: cifs.slice(0, 40) }))),
    ));
    assert.deepEqual(
      { unique: ours.n_unique_greedy, novel: ours.n_novel, by_comp: ours.n_novel_by_composition },
      ref,
    );
    // 40 distinct prototypes generated, 20 of them (20–39) in the training set
    assert.equal(ours.n_unique_greedy, 40);
    assert.ok(ours.n_novel! <= 20, `${ours.n_novel} novel, at most 20 expected`);
  },
});

Deno.test("evaluate() reads a .tar.gz and computes novelty against a token folder", () => {
  // training tokens: the NaCl-10 CIFs, symmetrized, preprocessed and encoded as upstream does
  const names = [...Deno.readDirSync("fixtures/nacl10")].map((e) => e.name).filter((n) => n.endsWith(".cif"))
    .sort();
  const tok = loadTokenizer();
  const ids: number[] = [];
  for (const n of names) {
    const s = structureFromCif(Deno.readTextFileSync(join("fixtures/nacl10", n)), { file: n });
    ids.push(...encodeCif(preprocessCif(symmetrizedCif(s)), { tokenizer: tok }).ids);
  }
  const tokenDir = Deno.makeTempDirSync();
  Deno.writeFileSync(join(tokenDir, "train.bin"), encodeTokenIds(ids));
  Deno.writeFileSync(join(tokenDir, "meta.pkl"), encodeMetaPkl(tok));
  const train = loadTrainingSet(tokenDir);
  assert.equal(train.kind, "tokens");
  assert.equal(train.n, names.length);

  // generated: a rock-salt NaCl (in the training set) and the same cell as KCl (novel by composition)
  const dir = Deno.makeTempDirSync();
  const nacl = Deno.readTextFileSync(
    join("fixtures/nacl10", names.find((n) => n.startsWith("NaCl_B1_0GPa"))!),
  );
  Deno.writeTextFileSync(join(dir, "a.cif"), nacl);
  Deno.writeTextFileSync(join(dir, "b.cif"), nacl.replaceAll("Na", "K"));
  const tgz = join(Deno.makeTempDirSync(), "gen.tar.gz");
  assert.ok(
    new Deno.Command("tar", { args: ["-czf", tgz, "-C", dir, "a.cif", "b.cif"] }).outputSync().success,
  );
  const { rows, metrics } = evaluate(tgz, { train: tokenDir });
  assert.deepEqual(rows.map((r) => r.file), ["a.cif", "b.cif"]);
  const nValid = rows.filter((r) => r.is_valid).length;
  assert.equal(metrics.n_train, names.length);
  assert.equal(metrics.n_unique_greedy, nValid);
  // a.cif matches its own training entry; b.cif (if valid) has a formula no training CIF has
  assert.equal(metrics.n_novel, rows[1].is_valid ? 1 : 0);
  assert.equal(metrics.n_novel_by_composition, metrics.n_novel);
});
