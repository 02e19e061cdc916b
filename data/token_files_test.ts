import assert from "node:assert/strict";
import { join } from "node:path";
import {
  decodeTokenIds,
  encodeTokenIds,
  readTokenFile,
  TokenFileError,
  writeTokenFile,
} from "./token_files.ts";
import { encodeCif } from "./tokenizer.ts";
import { firstDiff, HAS_ORACLE, HAS_PYTHON, oracleCases, oraclePath, runPython } from "./_test_utils.ts";

Deno.test({
  name:
    "encodeTokenIds() rebuilds the oracle's train.bin and val.bin byte for byte from the preprocessed CIFs",
  ignore: !HAS_ORACLE,
  fn() {
    const index = JSON.parse(Deno.readTextFileSync(oraclePath("bin_index.json")));
    const byId = new Map(oracleCases().map((c) => [c.id, c]));
    for (const split of ["train", "val"] as const) {
      const ids: number[] = [];
      for (const entry of index[split]) {
        assert.equal(ids.length, entry.offset, `${split} offset of ${entry.id}`);
        const got = encodeCif(byId.get(entry.id)!.preprocessed_cif).ids;
        assert.equal(got.length, entry.length, `${split} length of ${entry.id}`);
        ids.push(...got);
      }
      const want = Deno.readFileSync(oraclePath(`${split}.bin`));
      const bytes = encodeTokenIds(ids);
      const i = firstDiff([...bytes], [...want]);
      assert.equal(
        i,
        -1,
        `${split}.bin differs at byte ${i}: got ${bytes.slice(i, i + 8)} want ${want.slice(i, i + 8)}`,
      );
      assert.deepEqual([...decodeTokenIds(want)], ids);
    }
  },
});

Deno.test({
  name: "writeTokenFile() round-trips through numpy.fromfile(dtype='<u2')",
  ignore: !HAS_PYTHON,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const ids = [0, 1, 124, 370, 255, 256, 65535];
      const path = join(dir, "train.bin");
      await writeTokenFile(path, ids);
      const out = await runPython(
        "import sys, numpy as np; a = np.fromfile(sys.argv[1], dtype=np.uint16); print(a.dtype, list(map(int, a)))",
        [path],
      );
      assert.equal(out.trim(), `uint16 [${ids.join(", ")}]`);
      await runPython(
        "import sys, numpy as np; np.array([7, 300, 65534], dtype=np.uint16).tofile(sys.argv[1])",
        [path],
      );
      assert.deepEqual([...await readTokenFile(path)], [7, 300, 65534]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("encodeTokenIds() and decodeTokenIds() refuse what is not uint16", () => {
  assert.throws(() => encodeTokenIds([1, 65536]), /Cannot write token id 65536 at position 1/);
  assert.throws(() => encodeTokenIds([-1]), RangeError);
  assert.throws(() => decodeTokenIds(new Uint8Array(3), "x.bin"), TokenFileError);
});
