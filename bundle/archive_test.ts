import assert from "node:assert/strict";
import { join } from "node:path";
import { parseSize, splitFile, writeArchive } from "./archive.ts";

function sh(cmd: string, args: string[], cwd?: string) {
  const o = new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).outputSync();
  return { ok: o.success, out: new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr) };
}

Deno.test("parseSize() reads binary units and refuses the rest", () => {
  assert.equal(parseSize("50M"), 50 * 1024 * 1024);
  assert.equal(parseSize("500k"), 500 * 1024);
  assert.equal(parseSize("1G"), 1024 ** 3);
  assert.equal(parseSize("4096"), 4096);
  assert.throws(() => parseSize("fifty"), /--split fifty/);
  assert.throws(() => parseSize("0M"), /--split 0M/);
});

Deno.test("writeArchive() is byte-identical for the same files whatever their mtimes; splitFile() parts join back", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const dir = join(tmp, "b");
    await Deno.mkdir(join(dir, "data/z"), { recursive: true });
    const bytes = crypto.getRandomValues(new Uint8Array(60_000));
    await Deno.writeFile(join(dir, "data/z/rand.bin"), bytes);
    await Deno.writeTextFile(join(dir, "data/a.txt"), "a\n");
    await Deno.writeTextFile(join(dir, "crystallm"), "#!/bin/sh\n");
    const a = join(tmp, "one.tar.xz"), b = join(tmp, "two.tar.xz");
    const shaA = await writeArchive(dir, a, 1700000000);
    for (const f of ["data/a.txt", "crystallm", "data/z/rand.bin"]) {
      await Deno.utime(join(dir, f), 5, 123456789);
    }
    const shaB = await writeArchive(dir, b, 1700000000);
    assert.equal(shaA, shaB);
    assert.deepEqual(await Deno.readFile(a), await Deno.readFile(b));
    assert.ok(sh("sha256sum", ["-c", "one.tar.xz.sha256"], tmp).ok);
    // what GNU tar lists: sorted names, root-owned, the fixed mtime
    const list = sh("tar", ["--numeric-owner", "-tvJf", a]).out.trim().split("\n");
    assert.deepEqual(list.map((l) => l.split(/\s+/).pop()), [
      "b/",
      "b/crystallm",
      "b/data/",
      "b/data/a.txt",
      "b/data/z/",
      "b/data/z/rand.bin",
    ]);
    for (const l of list) assert.match(l, /^\S+ 0\/0 .* 2023-11-14 /);
    const parts = await splitFile(a, 20_000);
    assert.ok(parts.length >= 2);
    const joined = new Uint8Array(
      (await Promise.all(parts.map((p) => Deno.readFile(p)))).flatMap((p) => [...p]),
    );
    assert.deepEqual(joined, await Deno.readFile(a));
    assert.ok(sh("sha256sum", ["-c", "one.tar.xz.parts.sha256"], tmp).ok);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
