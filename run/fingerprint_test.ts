import assert from "node:assert/strict";
import { fingerprint } from "./fingerprint.ts";

Deno.test("fingerprint() ignores key order but not values", () => {
  const f = fingerprint("sample", { n: 10, top_k: 5 }, { ckpt: "x" }, "code");
  assert.equal(f, fingerprint("sample", { top_k: 5, n: 10 }, { ckpt: "x" }, "code"));
  assert.notEqual(f, fingerprint("sample", { top_k: 5, n: 11 }, { ckpt: "x" }, "code"));
  assert.notEqual(f, fingerprint("sample", { top_k: 5, n: 10 }, { ckpt: "y" }, "code"));
  assert.notEqual(f, fingerprint("sample", { top_k: 5, n: 10 }, { ckpt: "x" }, "code2"));
  assert.notEqual(f, fingerprint("generate", { top_k: 5, n: 10 }, { ckpt: "x" }, "code"));
});
