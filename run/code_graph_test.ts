import assert from "node:assert/strict";
import { join } from "node:path";
import { stageCode } from "./code_graph.ts";
import { runStage, type StageOptions } from "./stage.ts";

/**
 * A small module tree with its own deno.json: three stages (first → second, and third on its
 * own), a test, a test helper, a benchmark, an npm package and a native library.
 */
async function moduleTree(dir: string): Promise<void> {
  const files: Record<string, string> = {
    "deno.json": JSON.stringify({ imports: { commander: "npm:commander@14.0.2" }, lock: false }),
    "lib/y.ts": "export const VALUE = 1;\n",
    "lib/x.ts": 'export { VALUE } from "./y.ts";\n',
    "lib/z.ts": "export const SCALE = 2;\n",
    "lib/data.json": '{ "a": 1 }\n',
    "first.ts": 'import { VALUE } from "./lib/x.ts";\nimport { Command } from "commander";\n' +
      "export const first = (): number => VALUE;\nexport const cli = Command;\n",
    "second.ts":
      'import { SCALE } from "./lib/z.ts";\nexport const second = (n: number): number => n * SCALE;\n',
    "third.ts":
      'import { SCALE } from "./lib/z.ts";\nimport data from "./lib/data.json" with { type: "json" };\n' +
      "export const third = (): number => SCALE + data.a;\n",
    "native.ts": 'export { load } from "./ffi/mod.ts";\n',
    "ffi/mod.ts": "export const load = (): string => 'libnative.so';\n",
    "ffi/lib.cpp": "int f() { return 1; }\n",
    "ffi/lib.h": "int f();\n",
    "ffi/CMakeLists.txt": "add_library(native SHARED lib.cpp)\n",
    "ffi/README.md": "notes\n",
    "lib/x_test.ts": 'import { VALUE } from "./x.ts";\nDeno.test("x", () => {});\nexport const v = VALUE;\n',
    "lib/_test_utils.ts": 'export { VALUE } from "./y.ts";\n',
    "bench/x_bench.ts":
      'import { VALUE } from "../lib/x.ts";\nDeno.bench("x", () => {});\nexport const v = VALUE;\n',
  };
  for (const [rel, text] of Object.entries(files)) {
    await Deno.mkdir(join(dir, rel, ".."), { recursive: true });
    await Deno.writeTextFile(join(dir, rel), text);
  }
}

const touch = (dir: string, rel: string, text = "// touched\n") =>
  Deno.writeTextFile(join(dir, rel), text, { append: true });

Deno.test("stageCode() lists a stage's modules from Deno's graph: imports through others, JSON, npm versions, native sources; no tests or benchmarks", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await moduleTree(dir);
    const first = stageCode(["first.ts"], { root: dir });
    assert.deepEqual(first.modules, ["first.ts", "lib/x.ts", "lib/y.ts"]);
    assert.deepEqual(first.npm, ["commander@14.0.2"]);
    assert.deepEqual(first.native, []);
    assert.deepEqual(stageCode(["third.ts"], { root: dir }).modules, [
      "lib/data.json",
      "lib/z.ts",
      "third.ts",
    ]);
    const native = stageCode(["native.ts"], { root: dir });
    assert.deepEqual(native.native, ["ffi/CMakeLists.txt", "ffi/lib.cpp", "ffi/lib.h"]);
    // the version follows file contents, also of a module reached through another
    await touch(dir, "lib/y.ts");
    assert.notEqual(stageCode(["first.ts"], { root: dir }).version, first.version);
    assert.throws(() => stageCode(["missing.ts"], { root: dir }), /missing\.ts/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a stage reruns when a module it imports changes (and the stages after it), not for tests, helpers, benchmarks or other stages' modules; an npm version bump reruns its importers", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await moduleTree(dir);
    const input = join(dir, "input.txt");
    await Deno.writeTextFile(input, "in");
    const out = join(dir, "out");
    const opts: StageOptions = { log: () => {}, codeRoot: dir };
    let runs = 0;
    // each run of a stage leaves a new output (as the real stages' manifests carry their start time)
    const body = async (d: string) => {
      await Deno.writeTextFile(join(d, "out.txt"), String(++runs));
      return { outputs: {} };
    };
    const pipeline = async (): Promise<string[]> => {
      const ran: string[] = [];
      const stage = async (name: string, code: string[], inputs: Record<string, string>) => {
        const r = await runStage(name, join(out, name), { params: {}, inputs, code }, body, opts);
        if (!r.skipped) ran.push(name);
      };
      await stage("first", ["first.ts"], { input });
      await stage("second", ["second.ts"], { first: join(out, "first", "out.txt") });
      await stage("third", ["third.ts"], { input });
      await stage("native", ["native.ts"], { input });
      return ran;
    };
    assert.deepEqual(await pipeline(), ["first", "second", "third", "native"]);
    assert.deepEqual(await pipeline(), []);
    // a module imported through another: its stage and the one after it
    await touch(dir, "lib/y.ts");
    assert.deepEqual(await pipeline(), ["first", "second"]);
    // tests, test helpers, benchmarks and files no module imports: nothing
    for (const f of ["lib/x_test.ts", "lib/_test_utils.ts", "bench/x_bench.ts", "ffi/README.md"]) {
      await touch(dir, f);
      assert.deepEqual(await pipeline(), [], f);
    }
    // another stage's module: only the stages that import it
    await touch(dir, "lib/z.ts");
    assert.deepEqual(await pipeline(), ["second", "third"]);
    // JSON data a module imports
    await touch(dir, "lib/data.json", " ");
    assert.deepEqual(await pipeline(), ["third"]);
    // the native library's sources and build file: the stage that loads ffi/
    await touch(dir, "ffi/lib.cpp");
    assert.deepEqual(await pipeline(), ["native"]);
    await touch(dir, "ffi/CMakeLists.txt", "# -O3\n");
    assert.deepEqual(await pipeline(), ["native"]);
    // an npm version bump in deno.json: the stage importing the package (and the one after it)
    const config = join(dir, "deno.json");
    await Deno.writeTextFile(
      config,
      (await Deno.readTextFile(config)).replace("commander@14.0.2", "commander@7.2.0"),
    );
    assert.deepEqual(await pipeline(), ["first", "second"]);
    const m = JSON.parse(await Deno.readTextFile(join(out, "first", "manifest.json")));
    assert.deepEqual(m.code.npm, ["commander@7.2.0"]);
    assert.deepEqual(m.code.modules, ["first.ts", "lib/x.ts", "lib/y.ts"]);
    assert.equal(m.code_version, stageCode(["first.ts"], { root: dir }).version);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the pipeline's stages cover what they import (prompts reach cif/ and symmetry/, evaluation pickle/) and nothing of tests or benchmarks", async () => {
  const { STAGE_CODE } = await import("./runner.ts");
  const folders = (code: readonly string[]) =>
    new Set(stageCode([...code]).modules.map((m) => m.split("/")[0]));
  const sample = stageCode([...STAGE_CODE.sample]);
  assert.ok(folders(STAGE_CODE.sample).has("cif") && folders(STAGE_CODE.sample).has("symmetry"));
  assert.ok(sample.native.includes("ffi/CMakeLists.txt") && sample.native.some((f) => f.endsWith(".cpp")));
  assert.ok(folders(STAGE_CODE.evaluate).has("pickle"));
  assert.ok(!folders(STAGE_CODE.postprocess).has("train") && !folders(STAGE_CODE.train).has("evaluate"));
  for (const [name, code] of Object.entries(STAGE_CODE)) {
    const set = stageCode([...code]);
    const bad = set.modules.filter((m) => /_test\.ts$|_test_utils\.ts$|^bench\/|^tests\//.test(m));
    assert.deepEqual(bad, [], `${name} hashes test or benchmark files`);
  }
});
