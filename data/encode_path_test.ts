/**
 * One tokenization path: every command that turns CIF text into ids calls `encodeCif`, so
 * `score` sees the ids `data tokenize` writes and upstream trained on.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { loadModel, readCheckpoint } from "../checkpoint/mod.ts";
import { NO_LIBTORCH } from "../ffi/_test_utils.ts";
import { score, scoreIds } from "../sample/mod.ts";
import { REPO_ROOT, sharedPath } from "../core/paths.ts";
import { encodeCif } from "./tokenizer.ts";

/** Non-test .ts files of the repository outside out/ and hidden folders. */
function productFiles(dir = REPO_ROOT): string[] {
  const files: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) {
      if (!e.name.startsWith(".") && !["out", "tests", "bench"].includes(relative(REPO_ROOT, p))) {
        files.push(...productFiles(p));
      }
    } else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
      files.push(relative(REPO_ROOT, p));
    }
  }
  return files;
}

Deno.test("no module but data/tokenizer.ts calls the tokenizer's encode, encodeWithStats or tokenize", () => {
  const offenders: string[] = [];
  for (const file of productFiles()) {
    if (file === "data/tokenizer.ts") continue;
    const text = Deno.readTextFileSync(join(REPO_ROOT, file));
    for (const m of text.matchAll(/([\w$]+(?:\(\))?)\s*\.\s*(encode|encodeWithStats|tokenize)\(/g)) {
      // byte encoders, protobuf messages (export/onnx_proto.ts), and Python named in comments
      if (/^(TextEncoder\(\)|utf8|enc|encoder|string|_codecs|\w+Proto)$/.test(m[1])) continue;
      offenders.push(`${file}: ${m[0]}`);
    }
  }
  assert.deepEqual(offenders, []);
});

interface OracleCif {
  preprocessed_cif: string;
  token_ids: number[];
}

Deno.test("encodeCif() gives upstream's ids for its preprocessed CIFs, pymatgen comment and all", () => {
  const rows = Deno.readTextFileSync(sharedPath("oracle/tokenizer/preprocessed.jsonl")).trim().split("\n")
    .map((l) => JSON.parse(l) as OracleCif);
  assert.ok(rows.every((r) => r.preprocessed_cif.startsWith("# generated using pymatgen\n")));
  for (const r of rows) assert.deepEqual(encodeCif(r.preprocessed_cif).ids, r.token_ids);
});

Deno.test({
  name: "score() of an upstream preprocessed CIF counts upstream's tokens and gives their loss",
  ignore: NO_LIBTORCH,
  async fn() {
    const rows = Deno.readTextFileSync(sharedPath("oracle/tokenizer/preprocessed.jsonl")).trim().split("\n")
      .slice(0, 3).map((l) => JSON.parse(l) as OracleCif);
    const ckpt = sharedPath("oracle/model/ckpt_tiny.pt");
    const dir = await Deno.makeTempDir();
    try {
      const files = rows.map((r, i) => {
        const f = join(dir, `${i}.cif`);
        Deno.writeTextFileSync(f, r.preprocessed_cif);
        return f;
      });
      const scored = await score(ckpt, files);
      using model = loadModel(await readCheckpoint(ckpt));
      for (let i = 0; i < rows.length; i++) {
        assert.equal(scored[i].tokens, rows[i].token_ids.length);
        const { loss } = await scoreIds(model, rows[i].token_ids);
        assert.ok(Math.abs(scored[i].loss - loss) < 1e-6, `${scored[i].loss} vs ${loss} on upstream's ids`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
