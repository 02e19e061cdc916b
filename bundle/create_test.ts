import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "../core/paths.ts";

const dec = new TextDecoder();

function cli(args: string[]) {
  const o = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(REPO_ROOT, "tasks/crystallm.ts"), "bundle", ...args],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
}

function exists(p: string): boolean {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

Deno.test("bundle create refuses bad input with one line and writes nothing", async (t) => {
  const tmp = await Deno.makeTempDir();
  try {
    await t.step("an unknown experiment", () => {
      const r = cli(["create", "--out", join(tmp, "b"), "--experiment", "nacl11"]);
      assert.equal(r.code, 1, r.out);
      assert.match(
        r.out,
        /^Cannot bundle experiment nacl11: no experiments\/nacl11\.yaml \(known: [^\n]*nacl10[^\n]*\)\n$/,
      );
    });
    await t.step("a missing --checkpoint", () => {
      const r = cli([
        "create",
        "--out",
        join(tmp, "b"),
        "--experiment",
        "nacl10",
        "--checkpoint",
        join(tmp, "nope.pt"),
      ]);
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /Cannot bundle .*nope\.pt: it does not exist\n$/);
    });
    await t.step("a bad --split", () => {
      const r = cli(["create", "--out", join(tmp, "b"), "--split", "lots"]);
      assert.equal(r.code, 2, r.out);
      assert.match(r.out, /--split lots: give a size like 50M/);
    });
    await t.step("an --out that exists", () => {
      Deno.mkdirSync(join(tmp, "there"));
      const r = cli(["create", "--out", join(tmp, "there"), "--experiment", "nacl10"]);
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /already exists \(remove it or choose another --out\)/);
      Deno.removeSync(join(tmp, "there"));
    });
    await t.step("verify of a folder that is not a bundle", () => {
      const r = cli(["verify", tmp]);
      assert.equal(r.code, 2, r.out);
      assert.match(r.out, /no bagit\.txt, so it is not a crystallm bundle/);
    });
    assert.deepEqual(names(tmp), []);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("an interrupted bundle create leaves no half bundle; a killed one's leftovers go next time", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    // a leftover of a create killed with SIGKILL (pid 2^22 + 1 is above Linux's pid_max)
    Deno.mkdirSync(join(tmp, ".b.partial-4194305/b/data"), { recursive: true });
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        join(REPO_ROOT, "tasks/crystallm.ts"),
        "bundle",
        "create",
        "--out",
        join(tmp, "b"),
        "--experiment",
        "nacl10",
      ],
      cwd: REPO_ROOT,
      stdout: "null",
      stderr: "null",
    }).spawn();
    // interrupt while `deno cache` (a child process) fills the npm cache inside the partial folder
    const work = join(tmp, `.b.partial-${child.pid}`, "deno_dir.work");
    const t0 = Date.now();
    while (!exists(work) && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 50));
    assert.ok(exists(work), `deno cache did not start: ${names(tmp)}`);
    assert.ok(!names(tmp).includes(".b.partial-4194305"), "the dead process's leftovers were not removed");
    await new Promise((r) => setTimeout(r, 300));
    child.kill("SIGINT");
    const status = await child.status;
    assert.equal(status.code, 130);
    assert.deepEqual(names(tmp), []);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
