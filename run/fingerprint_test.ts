import assert from "node:assert/strict";
import { join } from "node:path";
import { canonicalJson, fingerprint, hashPath, sha256 } from "./fingerprint.ts";

Deno.test("sha256() matches the FIPS 180-2 test vector for 'abc'", () => {
  assert.equal(sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});

Deno.test("hashPath() changes with file contents and names, not with directory listing order", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "b.cif"), "B");
  await Deno.writeTextFile(join(dir, "a.cif"), "A");
  const h1 = await hashPath(dir);
  await Deno.writeTextFile(join(dir, "a.cif"), "A2");
  const h2 = await hashPath(dir);
  assert.notEqual(h1, h2);
  await Deno.rename(join(dir, "a.cif"), join(dir, "c.cif"));
  assert.notEqual(await hashPath(dir), h2);
  assert.equal(await hashPath(join(dir, "nope")), "missing");
  assert.equal(await hashPath(join(dir, "b.cif")), sha256("B"));
});

Deno.test("fingerprint() ignores key order but not values", () => {
  assert.equal(canonicalJson({ b: 1, a: { d: 2, c: 3 } }), '{"a":{"c":3,"d":2},"b":1}');
  const f = fingerprint("sample", { n: 10, top_k: 5 }, { ckpt: "x" }, "code");
  assert.equal(f, fingerprint("sample", { top_k: 5, n: 10 }, { ckpt: "x" }, "code"));
  assert.notEqual(f, fingerprint("sample", { top_k: 5, n: 11 }, { ckpt: "x" }, "code"));
  assert.notEqual(f, fingerprint("sample", { top_k: 5, n: 10 }, { ckpt: "y" }, "code"));
  assert.notEqual(f, fingerprint("sample", { top_k: 5, n: 10 }, { ckpt: "x" }, "code2"));
});
