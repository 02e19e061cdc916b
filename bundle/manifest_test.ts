import assert from "node:assert/strict";
import { join } from "node:path";
import { checkBag, writeBag } from "./manifest.ts";

function sh(cmd: string, args: string[], cwd: string) {
  const o = new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).outputSync();
  return { ok: o.success, out: new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr) };
}

async function smallBag(): Promise<{ dir: string; sha: string }> {
  const dir = await Deno.makeTempDir({ prefix: "crystallm-bag-" });
  await Deno.mkdir(join(dir, "data/sub"), { recursive: true });
  await Deno.writeTextFile(join(dir, "data/a.txt"), "alpha\n");
  await Deno.writeFile(join(dir, "data/sub/b.bin"), new Uint8Array([0, 1, 2, 255]));
  await Deno.writeTextFile(join(dir, "data/sub/name with space.txt"), "x");
  await Deno.writeTextFile(join(dir, "crystallm"), "#!/bin/sh\n");
  const sha = await writeBag(dir, [["Source-Organization", "test"]]);
  return { dir, sha };
}

Deno.test("writeBag() writes BagIt files that sha256sum accepts", async () => {
  const { dir, sha } = await smallBag();
  try {
    // the manifests are checked by coreutils, not by our own reader
    for (const m of ["manifest-sha256.txt", "tagmanifest-sha256.txt"]) {
      const r = sh("sha256sum", ["-c", "--strict", m], dir);
      assert.deepEqual(r.ok, true, r.out);
    }
    assert.deepEqual(sh("sha256sum", ["manifest-sha256.txt"], dir).out.split(" ")[0], sha);
    const info = await Deno.readTextFile(join(dir, "bag-info.txt"));
    // Payload-Oxum: octets.streamcount of the payload (6 + 4 + 1 bytes, 3 files)
    assert.deepEqual(/Payload-Oxum: (\S+)/.exec(info)?.[1], "11.3");
    assert.deepEqual((await Deno.readTextFile(join(dir, "bagit.txt"))).split("\n")[0], "BagIt-Version: 1.0");
    const tags = await Deno.readTextFile(join(dir, "tagmanifest-sha256.txt"));
    assert.deepEqual(tags.split("\n").filter(Boolean).map((l) => l.slice(66)), [
      "bag-info.txt",
      "bagit.txt",
      "crystallm",
      "manifest-sha256.txt",
    ]);
    const r = await checkBag(dir);
    assert.deepEqual([r.ok, r.missing, r.changed, r.extra, r.problems], [7, [], [], [], []]);
    assert.deepEqual(r.manifestSha256, sha);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkBag() names each changed, missing and extra file", async (t) => {
  const { dir } = await smallBag();
  try {
    await t.step("a flipped byte", async () => {
      const p = join(dir, "data/sub/b.bin");
      const b = await Deno.readFile(p);
      b[2] ^= 0x01;
      await Deno.writeFile(p, b);
      const r = await checkBag(dir);
      assert.deepEqual([r.changed, r.missing, r.extra], [["data/sub/b.bin"], [], []]);
      b[2] ^= 0x01;
      await Deno.writeFile(p, b);
    });
    await t.step("a stray file, in data/ and at the top", async () => {
      await Deno.writeTextFile(join(dir, "data/sub/stray.txt"), "");
      await Deno.writeTextFile(join(dir, "notes.txt"), "");
      const r = await checkBag(dir);
      assert.deepEqual([r.changed, r.missing, r.extra], [[], [], ["data/sub/stray.txt", "notes.txt"]]);
      await Deno.remove(join(dir, "data/sub/stray.txt"));
      await Deno.remove(join(dir, "notes.txt"));
    });
    await t.step("a missing file and a changed launcher", async () => {
      await Deno.rename(join(dir, "data/a.txt"), join(dir, "a.txt.away"));
      await Deno.writeTextFile(join(dir, "crystallm"), "#!/bin/sh\necho hacked\n");
      const r = await checkBag(dir);
      assert.deepEqual([r.changed, r.missing, r.extra], [["crystallm"], ["data/a.txt"], ["a.txt.away"]]);
    });
    await t.step("var/ (run state) is not part of the bag", async () => {
      await Deno.mkdir(join(dir, "var/out"), { recursive: true });
      await Deno.writeTextFile(join(dir, "var/out/x"), "");
      const r = await checkBag(dir);
      assert.deepEqual(r.extra, ["a.txt.away"]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkBag() refuses a folder that is not a bundle", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(() => checkBag(dir), /no bagit\.txt/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
