import assert from "node:assert/strict";
import { join } from "node:path";
import { gzipSync } from "fflate";
import { stringify } from "csv-stringify/sync";
import { buildDataset } from "./build.ts";
import { readTokenFile } from "./token_files.ts";
import { keepAsIs } from "./symmetrize_step.ts";
import { REPO_ROOT } from "../core/paths.ts";
import { firstDiff, HAS_ORACLE, HAS_PYTHON, oracleCases, runPython } from "./_test_utils.ts";

const enc = new TextEncoder();

Deno.test({
  name: "buildDataset() turns the oracle's CifWriter CIFs into the oracle's token ids",
  ignore: !HAS_ORACLE,
  async fn(t) {
    const tmp = await Deno.makeTempDir();
    try {
      const src = join(tmp, "cifs");
      await Deno.mkdir(src);
      const cases = oracleCases();
      for (const c of cases) await Deno.writeTextFile(join(src, `${c.dataset}_${c.id}.cif`), c.orig_cif);
      const out = join(tmp, "tokens");
      const m = await buildDataset([src], out, { symmetrize: keepAsIs, valFraction: 0.2, seed: 3 });
      const index = JSON.parse(await Deno.readTextFile(join(out, "index.json")));
      const byName = new Map(cases.map((c) => [`cifs:${c.dataset}_${c.id}.cif`, c]));

      await t.step("every kept CIF carries exactly the oracle's ids", async () => {
        let checked = 0;
        for (const split of ["train", "val"] as const) {
          const ids = await readTokenFile(join(out, `${split}.bin`));
          for (const e of index[split]) {
            const want = byName.get(e.id)!.token_ids;
            const got = [...ids.subarray(e.offset, e.offset + e.length)];
            const i = firstDiff(got, want);
            assert.equal(i, -1, `${e.id} id ${i}: got ${got.slice(i, i + 5)} want ${want.slice(i, i + 5)}`);
            checked++;
          }
        }
        assert.equal(checked, m.counts.kept);
      });
      await t.step("counts add up; duplicates follow bin/deduplicate.py", () => {
        assert.equal(m.counts.read, 120);
        assert.equal(m.counts.failed, 0);
        assert.equal(m.counts.kept + m.counts.dropped, 120);
        assert.equal(m.counts.train + m.counts.val, m.counts.kept);
        assert.equal(m.counts.val, Math.round(m.counts.kept * 0.2));
        // every dropped CIF is a duplicate of a kept one with the same formula and space group
        const kept = new Set([...index.train, ...index.val].map((e: { id: string }) => e.id));
        const keyOf = (id: string) => {
          const c = byName.get(id)!.orig_cif;
          const f = /_chemical_formula_sum\s+(?:'([^']+)'|(\S+))/.exec(c)!;
          return [f[1] ?? f[2], /_symmetry_space_group_name_H-M\s+(\S+)/.exec(c)![1]].join("|");
        };
        const keptKeys = new Set([...kept].map(keyOf));
        assert.equal(keptKeys.size, kept.size, "kept keys are unique");
        for (const d of m.dropped) {
          assert.equal(d.reason, "duplicate");
          assert.ok(keptKeys.has(keyOf(d.id)), d.id);
        }
        assert.equal(m.tokens.unk, 0);
      });
      await t.step("the same seed gives the same files", async () => {
        const again = await buildDataset([src], join(tmp, "again"), {
          symmetrize: keepAsIs,
          valFraction: 0.2,
          seed: 3,
        });
        assert.deepEqual(again.output.files, m.output.files);
      });
      await t.step({
        name: "Python reads the token directory",
        ignore: !HAS_PYTHON,
        fn: async () => {
          const py = await runPython(
            "import sys, pickle, numpy as np\nd = sys.argv[1]\n" +
              "m = pickle.load(open(d + '/meta.pkl', 'rb'))\n" +
              "t = np.fromfile(d + '/train.bin', dtype=np.uint16); v = np.fromfile(d + '/val.bin', dtype=np.uint16)\n" +
              "print(len(t), len(v), int((t == m['stoi']['data_']).sum()) + int((v == m['stoi']['data_']).sum()))",
            [out],
          );
          assert.equal(py.trim(), `${m.tokens.train} ${m.tokens.val} ${m.counts.kept}`);
        },
      });
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

const NACL = `# generated using pymatgen
data_NaCl
_symmetry_space_group_name_H-M   Fm-3m
_cell_length_a   5.64020000
_cell_length_b   5.64020000
_cell_length_c   5.64020000
_cell_angle_alpha   90.00000000
_cell_angle_beta   90.00000000
_cell_angle_gamma   90.00000000
_symmetry_Int_Tables_number   225
_chemical_formula_structural   NaCl
_chemical_formula_sum   'Na4 Cl4'
_cell_volume   179.42296728
_cell_formula_units_Z   4
loop_
 _symmetry_equiv_pos_site_id
 _symmetry_equiv_pos_as_xyz
  1  'x, y, z'
loop_
 _atom_site_type_symbol
 _atom_site_label
 _atom_site_symmetry_multiplicity
 _atom_site_fract_x
 _atom_site_fract_y
 _atom_site_fract_z
 _atom_site_occupancy
  Na  Na0  4  0.00000000  0.00000000  0.00000000  1
  Cl  Cl1  4  0.00000000  0.00000000  0.50000000  1
`;

Deno.test("buildDataset() skips and reports malformed inputs, from CSV.gz and several sources at once", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const smaller = NACL.replace("_cell_volume   179.42296728", "_cell_volume   170.00000000");
    const rows = [
      { material_id: "ok", cif: NACL },
      { material_id: "unknown_element", cif: NACL.replace("'Na4 Cl4'", "'Qq4 Cl4'") },
      { material_id: "no_formula", cif: NACL.replace("_chemical_formula_sum   'Na4 Cl4'\n", "") },
      { material_id: "truncated", cif: NACL.slice(0, 150) },
      { material_id: "z0", cif: NACL.replace("_cell_formula_units_Z   4", "_cell_formula_units_Z   0") },
      { material_id: "smaller", cif: smaller },
    ];
    const csv = join(tmp, "mixed.csv.gz");
    await Deno.writeFile(csv, gzipSync(enc.encode(stringify(rows, { header: true }))));
    const broken = join(tmp, "broken.tar.gz");
    await Deno.writeFile(broken, enc.encode("not gzip at all"));
    const m = await buildDataset([csv, broken], join(tmp, "out"), { symmetrize: keepAsIs, valFraction: 0 });
    assert.equal(m.counts.read, 6);
    assert.deepEqual(m.counts.failedByReason, {
      source_unreadable: 1,
      unknown_element: 1,
      missing_formula_sum: 1,
      missing_z: 1,
    });
    assert.deepEqual(m.counts.droppedByReason, { z_zero: 1, duplicate: 1 });
    assert.equal(m.counts.kept, 1);
    assert.equal(m.dropped.find((d) => d.reason === "duplicate")!.id, "mixed.csv.gz:ok");
    assert.match(
      m.failed.find((f) => f.reason === "source_unreadable")!.message,
      /broken\.tar\.gz: not valid gzip/,
    );
    assert.equal(m.sources.length, 2);
    assert.match(m.sources[0].sha256, /^[0-9a-f]{64}$/);
    // --no-dedupe keeps both NaCl CIFs; the progress bar path runs too
    const all = await buildDataset([csv], join(tmp, "all"), {
      symmetrize: keepAsIs,
      valFraction: 0,
      dedupe: false,
      progress: true,
    });
    assert.equal(all.counts.kept, 2);
    assert.deepEqual(all.counts.droppedByReason, { z_zero: 1 });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test({
  name: "buildDataset() reads a .tar.gz written by Python's tarfile",
  ignore: !HAS_PYTHON,
  async fn() {
    const tmp = await Deno.makeTempDir();
    try {
      const tgz = join(tmp, "cifs.tar.gz");
      await runPython(
        "import sys, tarfile, io\n" +
          "with tarfile.open(sys.argv[1], 'w:gz') as t:\n" +
          "  for name in ['a/NaCl.cif', 'b/' + 'x' * 120 + '.cif', 'README.txt']:\n" +
          "    data = sys.argv[2].encode()\n" +
          "    info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))\n",
        [tgz, NACL],
      );
      const m = await buildDataset([tgz], join(tmp, "out"), { symmetrize: keepAsIs, valFraction: 0 });
      assert.equal(m.counts.read, 2);
      assert.equal(m.counts.kept, 1);
      assert.ok(m.dropped[0].id.endsWith("x".repeat(120) + ".cif"), m.dropped[0].id);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test("buildDataset() symmetrizes fixtures/mix154 on worker threads with the same result as on one thread", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const src = join(REPO_ROOT, "fixtures", "mix154");
    const one = await buildDataset([src], join(tmp, "one"), { workers: 1 });
    const two = await buildDataset([src], join(tmp, "two"), { workers: 2 });
    assert.deepEqual(two.output.files, one.output.files);
    assert.equal(one.counts.read, 154);
    assert.equal(one.counts.kept + one.counts.dropped + one.counts.failed, 154);
    assert.deepEqual(two.failed, one.failed);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
