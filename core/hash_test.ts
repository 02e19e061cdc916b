import assert from "node:assert/strict";
import { join } from "node:path";
import { canonicalJson, hashFile, hashPath, listFiles, sha256 } from "./hash.ts";

Deno.test("sha256() matches the FIPS 180-2 test vectors for 'abc' and the empty string", () => {
  assert.equal(sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.equal(sha256(new Uint8Array()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
});

Deno.test("hashFile() streams a file larger than its 1 MiB buffer to the digest of its bytes", async () => {
  const dir = await Deno.makeTempDir();
  const bytes = new Uint8Array(3 * (1 << 20) + 17).map((_, i) => (i * 31) & 0xff);
  await Deno.writeFile(join(dir, "big.bin"), bytes);
  assert.equal(await hashFile(join(dir, "big.bin")), sha256(bytes));
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

Deno.test("listFiles() walks subfolders in sorted order and applies the filter to relative paths", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(join(dir, "sub"));
  for (const f of ["z.ts", "a_test.ts", "sub/m.ts", "b.ts"]) await Deno.writeTextFile(join(dir, f), f);
  assert.deepEqual(listFiles(dir), ["a_test.ts", "b.ts", "sub/m.ts", "z.ts"]);
  assert.deepEqual(listFiles(dir, (rel) => !rel.includes("_test.")), ["b.ts", "sub/m.ts", "z.ts"]);
});

Deno.test("canonicalJson() sorts object keys at every depth and keeps array order", () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 0 }] } }),
    '{"a":{"c":[3,{"e":0,"f":1}],"d":2},"b":1}',
  );
});
