import assert from "node:assert/strict";
import {
  assertVocabSize,
  CifTokenizer,
  filterCifLines,
  loadTokenizer,
  VocabSizeMismatchError,
} from "./tokenizer.ts";
import { firstDiff, HAS_ORACLE, oracleCases, oraclePath } from "./_test_utils.ts";

Deno.test({
  name: "loadTokenizer() has upstream's 371 tokens in upstream's id order (oracle vocab.json)",
  ignore: !HAS_ORACLE,
  fn() {
    const vocab = JSON.parse(Deno.readTextFileSync(oraclePath("vocab.json")));
    const tok = loadTokenizer();
    assert.equal(tok.vocabSize, vocab.vocab_size);
    assert.equal(tok.unkId, vocab.unk_id);
    const i = firstDiff(tok.tokens, vocab.tokens);
    assert.equal(
      i,
      -1,
      `tokens differ at id ${i}: got ${JSON.stringify(tok.tokens[i])} want ${
        JSON.stringify(vocab.tokens[i])
      }`,
    );
    const idToToken = tok.tokens.map((_, id) => vocab.id_to_token[String(id)]);
    const j = firstDiff(tok.idToToken, idToToken);
    assert.equal(j, -1, `id_to_token differs at id ${j}: got ${tok.idToToken[j]} want ${idToToken[j]}`);
    for (const [t, id] of Object.entries(vocab.token_to_id)) {
      assert.equal(tok.tokenToId(t), id, `token_to_id[${t}]`);
    }
    const k = firstDiff(tok.alternationOrder, vocab.regex_alternation_order);
    assert.equal(
      k,
      -1,
      `alternation differs at ${k}: got ${tok.alternationOrder[k]} want ${vocab.regex_alternation_order[k]}`,
    );
  },
});

Deno.test({
  name: "encode() gives the oracle's ids on 100% of the 120 cases",
  ignore: !HAS_ORACLE,
  fn() {
    const tok = loadTokenizer();
    let same = 0;
    const bad: string[] = [];
    for (const c of oracleCases()) {
      const input = filterCifLines(c.preprocessed_cif);
      if (input !== c.tokenizer_input) {
        bad.push(`${c.dataset}/${c.id}: tokenizer_input differs`);
        continue;
      }
      const ids = tok.encode(input);
      const i = firstDiff(ids, c.token_ids);
      if (i >= 0) {
        bad.push(
          `${c.dataset}/${c.id}: id ${i}: got ${ids.slice(i, i + 5)} (${
            tok.tokenize(input).slice(i, i + 5)
          }) ` +
            `want ${c.token_ids.slice(i, i + 5)} (${c.tokens.slice(i, i + 5)})`,
        );
        continue;
      }
      assert.deepEqual(tok.tokenize(input), c.tokens);
      same++;
    }
    console.log(`token id parity: ${same}/${oracleCases().length}`);
    assert.deepEqual(bad, [], bad.slice(0, 5).join("\n"));
  },
});

Deno.test({
  name: "decode() reproduces the oracle's decoded text and inverts encode() on preprocessed CIFs",
  ignore: !HAS_ORACLE,
  fn() {
    const tok = loadTokenizer();
    for (const c of oracleCases()) {
      assert.equal(tok.decode(c.token_ids), c.decoded, c.id);
      // single_spaces=False keeps every space, so decode(encode(x)) == x exactly
      const exact = tok.encode(c.tokenizer_input, { singleSpaces: false });
      assert.equal(tok.decode(exact), c.tokenizer_input, c.id);
      // with upstream's default the text comes back with single spaces
      assert.equal(tok.decode(tok.encode(c.tokenizer_input)), c.tokenizer_input.replace(/[ \t]+/g, " "));
    }
  },
});

Deno.test("encode() disambiguates space groups from elements with the _sg suffix", () => {
  const tok = loadTokenizer();
  const ids = tok.encode("_symmetry_space_group_name_H-M   Pm\n_chemical_formula_sum   'Pm1'\n");
  assert.deepEqual(tok.tokenize("_symmetry_space_group_name_H-M   Pm\n"), [
    "_symmetry_space_group_name_H-M",
    " ",
    "Pm_sg",
    "\n",
  ]);
  assert.equal(tok.decode(ids), "_symmetry_space_group_name_H-M Pm\n_chemical_formula_sum 'Pm1'\n");
  // P1 the group is one token; P1 in a formula is P then 1
  assert.deepEqual(tok.tokenize("_symmetry_space_group_name_H-M P1\nP1"), [
    "_symmetry_space_group_name_H-M",
    " ",
    "P1_sg",
    "\n",
    "P",
    "1",
  ]);
});

Deno.test("encodeWithStats() turns unknown words and characters into counted <unk>", async (t) => {
  const tok = new CifTokenizer();
  await t.step("unknown word (\\w+)", () => {
    const r = tok.encodeWithStats("Xx 1\n");
    assert.deepEqual(r.ids, [tok.unkId, 141, 90, 142]);
    assert.equal(r.unkCount, 1);
  });
  await t.step("nan from a missing property is one <unk>", () => {
    assert.deepEqual(tok.tokenize("Pm  nan\n"), ["Pm", " ", "<unk>", "\n"]);
  });
  await t.step("unknown character is <unk> by default", () => {
    const r = tok.encodeWithStats("1@2;\r");
    assert.deepEqual(r.ids, [90, tok.unkId, 91, tok.unkId, tok.unkId]);
    assert.equal(r.unkCount, 3);
    assert.equal(r.droppedChars, 0);
  });
  await t.step("unknownChars: drop is upstream's re.findall, still counted", () => {
    const r = tok.encodeWithStats("1@2;\r", { unknownChars: "drop" });
    assert.deepEqual(r.ids, [90, 91, tok.unkId]);
    assert.equal(r.unkCount, 1);
    assert.equal(r.droppedChars, 2);
  });
  await t.step("decode() refuses ids outside the vocabulary", () => {
    assert.throws(() => tok.decode([371]), /Cannot decode token id 371: vocabulary has 371 tokens/);
  });
});

Deno.test("assertVocabSize() names both sizes", () => {
  assertVocabSize(371);
  assert.throws(
    () => assertVocabSize(405, { source: "out/fork/ckpt.pt" }),
    (e: unknown) =>
      e instanceof VocabSizeMismatchError && /out\/fork\/ckpt\.pt/.test(e.message) && /405/.test(e.message) &&
      /371/.test(e.message),
  );
});

Deno.test("filterCifLines() applies bin/tokenize_cifs.py's line filter", () => {
  const cif = "# generated using pymatgen\ndata_NaCl\n\n  loop_\n _atom_type_symbol\n  Na  Na0  1\n";
  assert.equal(filterCifLines(cif), "data_NaCl\nloop_\n_atom_type_symbol\nNa  Na0  1\n\n");
});
