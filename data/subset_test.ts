import assert from "node:assert/strict";
import { join } from "node:path";
import { cifSpans, SubsetError, subsetTokenized } from "./subset.ts";
import { readTokenFile } from "./token_files.ts";
import { HAS_ORACLE, HAS_PYTHON, ORACLE_DIR, oraclePath, runPython } from "./_test_utils.ts";
import { sharedDir } from "../core/paths.ts";

/** The oracle's own record of where each CIF sits in its streams. */
function oracleIndex(): Record<"train" | "val", { id: string; offset: number; length: number }[]> {
  return JSON.parse(Deno.readTextFileSync(oraclePath("bin_index.json")));
}

Deno.test({
  name: "cifSpans() finds exactly the CIFs of the oracle's bin_index",
  ignore: !HAS_ORACLE,
  async fn() {
    const index = oracleIndex();
    for (const split of ["train", "val"] as const) {
      const spans = cifSpans(await readTokenFile(oraclePath(`${split}.bin`)), 124);
      assert.deepEqual(spans, index[split].map((e) => ({ start: e.offset, end: e.offset + e.length })));
    }
  },
});

Deno.test({
  name: "subsetTokenized() takes whole CIFs, deterministically per seed",
  ignore: !HAS_ORACLE,
  async fn(t) {
    const inDir = join(sharedDir(), ORACLE_DIR);
    const tmp = await Deno.makeTempDir();
    try {
      const index = oracleIndex();
      const a = await subsetTokenized(inDir, join(tmp, "a"), { nTrain: 10, nVal: 5, minLen: 32, seed: 7 });
      const b = await subsetTokenized(inDir, join(tmp, "b"), { nTrain: 10, nVal: 5, minLen: 32, seed: 7 });
      const c = await subsetTokenized(inDir, join(tmp, "c"), { nTrain: 10, nVal: 5, minLen: 32, seed: 8 });
      await t.step("same seed, same bytes; another seed, another subset", () => {
        assert.deepEqual(a.output, b.output);
        assert.notEqual(a.output.files["train.bin"], c.output.files["train.bin"]);
      });
      await t.step("every CIF taken is one of the oracle's CIFs, whole", async () => {
        const src = {
          train: await readTokenFile(oraclePath("train.bin")),
          val: await readTokenFile(oraclePath("val.bin")),
        };
        for (const split of ["train", "val"] as const) {
          const out = await readTokenFile(join(tmp, "a", `${split}.bin`));
          const wholes = new Set(
            index[split].map((e) => src[split].subarray(e.offset, e.offset + e.length).join(",")),
          );
          const spans = cifSpans(out, 124);
          assert.equal(spans.length, split === "train" ? 10 : 5);
          for (const s of spans) {
            assert.ok(wholes.has(out.subarray(s.start, s.end).join(",")), `${split} span ${s.start}`);
          }
        }
        assert.equal(a.train.cifsInStream, 97);
        assert.equal(a.val.cifsInStream, 23);
        assert.equal(
          (await Deno.readFile(join(tmp, "a", "meta.pkl"))).length,
          (await Deno.readFile(oraclePath("meta.pkl"))).length,
        );
      });
      await t.step("min_len filters by CIF length", async () => {
        const m = await subsetTokenized(inDir, join(tmp, "m"), { nTrain: 1, nVal: 1, minLen: 400, seed: 1 });
        assert.equal(m.train.eligible, index.train.filter((e) => e.length >= 400).length);
        assert.equal(m.val.eligible, index.val.filter((e) => e.length >= 400).length);
      });
      await t.step("too few CIFs is an error unless allowFewer", async () => {
        await assert.rejects(
          subsetTokenized(inDir, join(tmp, "f"), { nTrain: 1000, nVal: 5 }),
          (e: unknown) => e instanceof SubsetError && /Cannot take 1000 train CIFs: only 97/.test(e.message),
        );
        const f = await subsetTokenized(inDir, join(tmp, "f"), { nTrain: 1000, nVal: 50, allowFewer: true });
        assert.equal(f.train.taken, 97);
        assert.equal(f.val.taken, 23);
        assert.equal(f.train.tokens, Deno.statSync(oraclePath("train.bin")).size / 2);
      });
      await t.step({
        name: "the output loads in numpy and pickle",
        ignore: !HAS_PYTHON,
        fn: async () => {
          const out = await runPython(
            "import sys, pickle, numpy as np\n" +
              "d = sys.argv[1]; t = np.fromfile(d + '/train.bin', dtype=np.uint16); m = pickle.load(open(d + '/meta.pkl', 'rb'))\n" +
              "print(int((t == m['stoi']['data_']).sum()), m['vocab_size'])",
            [join(tmp, "a")],
          );
          assert.equal(out.trim(), "10 371");
        },
      });
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
