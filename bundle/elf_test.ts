import assert from "node:assert/strict";
import { join } from "node:path";
import { compareVersions, glibcFloor, runpath, setRunpath } from "./elf.ts";

function sh(cmd: string, args: string[]): string | undefined {
  try {
    const o = new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).outputSync();
    return o.success ? new TextDecoder().decode(o.stdout) : undefined;
  } catch {
    return undefined;
  }
}

/** binutils' answer: the highest GLIBC_x in the file's version needs. */
function objdumpFloor(path: string): string | undefined {
  const text = sh("readelf", ["--version-info", "-W", path]);
  if (text === undefined) return undefined;
  const needs = text.slice(text.indexOf("Version needs section"));
  return [...needs.matchAll(/Name: GLIBC_(\d+(?:\.\d+)+)/g)].map((m) => m[1]).sort(compareVersions).pop();
}

const haveReadelf = sh("readelf", ["--version"]) !== undefined;

Deno.test("compareVersions() orders dotted versions numerically", () => {
  assert.deepEqual(["2.34", "2.2.5", "2.17", "2.3.4", "2.4"].sort(compareVersions), [
    "2.2.5",
    "2.3.4",
    "2.4",
    "2.17",
    "2.34",
  ]);
});

Deno.test({
  name: "glibcFloor() matches readelf on the Deno binary and system libraries",
  ignore: !haveReadelf,
  fn() {
    const files = [Deno.execPath(), "/bin/sh", "/usr/bin/sha256sum"];
    for (const lib of ["libstdc++.so.6", "libgomp.so.1"]) {
      const p = /=> (\S+)/.exec(sh("ldconfig", ["-p"])?.split("\n").find((l) => l.includes(lib)) ?? "")?.[1];
      if (p) files.push(p);
    }
    for (const f of files) {
      const ref = objdumpFloor(f);
      assert.ok(ref, `readelf found no GLIBC need in ${f}`);
      assert.equal(glibcFloor(f), ref, f);
    }
  },
});

Deno.test({
  name: "setRunpath() rewrites RUNPATH in place, as readelf then reports it",
  ignore: !haveReadelf,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      // a shared library with a RUNPATH: link one with the system compiler when there is one
      const src = join(dir, "x.c");
      await Deno.writeTextFile(src, "int cllm_x(void) { return 42; }\n");
      const lib = join(dir, "libx.so");
      const cc = sh("cc", [
        "-shared",
        "-fPIC",
        "-o",
        lib,
        src,
        "-Wl,--enable-new-dtags,-rpath,/usr/local/lib/somewhere",
      ]);
      if (cc === undefined) {
        console.log("skipped: no C compiler to link a test library");
        return;
      }
      assert.equal(runpath(lib), "/usr/local/lib/somewhere");
      setRunpath(lib, "$ORIGIN");
      assert.equal(runpath(lib), "$ORIGIN");
      const d = sh("readelf", ["-d", lib])!;
      assert.match(d, /\(RUNPATH\)\s+Library runpath: \[\$ORIGIN\]/);
      assert.ok(sh("ldd", [lib]) !== undefined, "ldd must still read the library");
      assert.throws(() => setRunpath(lib, "$ORIGIN/a/much/longer/path"), /longer than the old one/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
