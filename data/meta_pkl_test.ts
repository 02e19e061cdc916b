import assert from "node:assert/strict";
import { join } from "node:path";
import {
  assertMetaMatchesTokenizer,
  decodeMetaPkl,
  encodeMetaPkl,
  MetaError,
  metaOf,
  writeMetaPkl,
} from "./meta_pkl.ts";
import { firstDiff, HAS_ORACLE, HAS_PYTHON, oraclePath, runPython } from "./_test_utils.ts";

Deno.test({
  name: "decodeMetaPkl() reads upstream's meta.pkl and it matches the tokenizer id for id",
  ignore: !HAS_ORACLE,
  fn() {
    const meta = decodeMetaPkl(Deno.readFileSync(oraclePath("meta.pkl")));
    assert.equal(meta.vocabSize, 371);
    assert.equal(meta.itos.get(370), "<unk>");
    assert.equal(meta.stoi.get("Fm-3m_sg"), meta.stoi.get("Fm-3m_sg"));
    assertMetaMatchesTokenizer(meta);
    assert.deepEqual([...meta.itos], [...metaOf().itos]);
    assert.deepEqual([...meta.stoi], [...metaOf().stoi]);
  },
});

Deno.test({
  name: "encodeMetaPkl() is byte-identical to upstream's meta.pkl",
  ignore: !HAS_ORACLE,
  fn() {
    const want = Deno.readFileSync(oraclePath("meta.pkl"));
    const got = encodeMetaPkl();
    const i = firstDiff([...got], [...want]);
    assert.equal(
      i,
      -1,
      `meta.pkl differs at byte ${i} of ${want.length}: got ${got.slice(i, i + 12)} want ${
        want.slice(i, i + 12)
      }`,
    );
  },
});

Deno.test({
  name: "writeMetaPkl() loads in Python's pickle equal to upstream's meta.pkl",
  ignore: !HAS_PYTHON || !HAS_ORACLE,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const path = join(dir, "meta.pkl");
      await writeMetaPkl(path);
      const out = await runPython(
        "import sys, pickle\n" +
          "ours = pickle.load(open(sys.argv[1], 'rb')); theirs = pickle.load(open(sys.argv[2], 'rb'))\n" +
          "print(sorted(ours) == sorted(theirs), ours == theirs, list(ours['itos'].items()) == list(theirs['itos'].items()),\n" +
          "      list(ours['stoi'].items()) == list(theirs['stoi'].items()), ours['vocab_size'])",
        [path, oraclePath("meta.pkl")],
      );
      assert.equal(out.trim(), "True True True True 371");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("assertMetaMatchesTokenizer() names both sizes for a foreign vocabulary", () => {
  const meta = metaOf();
  meta.vocabSize = 405;
  assert.throws(
    () => assertMetaMatchesTokenizer(meta, { file: "fork/meta.pkl" }),
    (e: unknown) =>
      e instanceof MetaError &&
      /fork\/meta\.pkl: its vocab_size is 405 but the tokenizer has 371/.test(e.message),
  );
  const swapped = metaOf();
  swapped.itos.set(5, "Na");
  assert.throws(() => assertMetaMatchesTokenizer(swapped), /id 5 is "Na" there but "Cl" here/);
});
