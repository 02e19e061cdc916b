import assert from "node:assert/strict";
import { join } from "node:path";
import { runStage } from "./stage.ts";

Deno.test("runStage() skips an unchanged stage, reruns on input change or force, records a manifest", async () => {
  const tmp = await Deno.makeTempDir();
  const input = join(tmp, "in.txt");
  await Deno.writeTextFile(input, "one");
  let runs = 0;
  const body = async (dir: string) => {
    runs++;
    await Deno.writeTextFile(join(dir, "out.txt"), await Deno.readTextFile(input));
    return { outputs: { lines: 1 }, report: { kept: 1 } };
  };
  const spec = { params: { n: 1 }, inputs: { input }, code: ["run/stage.ts"] };
  const quiet = { log: () => {} };
  const a = await runStage("demo", join(tmp, "stage"), spec, body, quiet);
  assert.equal(a.skipped, false);
  assert.equal(a.manifest.inputs.input.sha256.length, 64);
  assert.deepEqual(a.manifest.outputs, { lines: 1 });
  assert.deepEqual(a.manifest.report, { kept: 1 });
  // the code the fingerprint covers: the entry and what it imports, not its tests
  assert.deepEqual(a.manifest.code.entries, ["run/stage.ts"]);
  assert.ok(a.manifest.code.modules.includes("run/code_graph.ts"));
  assert.ok(!a.manifest.code.modules.some((m) => m.includes("_test")));
  assert.deepEqual(JSON.parse(await Deno.readTextFile(join(tmp, "stage", "manifest.json"))), a.manifest);
  const b = await runStage("demo", join(tmp, "stage"), spec, body, quiet);
  assert.equal(b.skipped, true);
  assert.equal(runs, 1);
  await runStage("demo", join(tmp, "stage"), spec, body, { ...quiet, force: true });
  assert.equal(runs, 2);
  await Deno.writeTextFile(input, "two");
  const c = await runStage("demo", join(tmp, "stage"), spec, body, quiet);
  assert.equal(c.skipped, false);
  assert.notEqual(c.manifest.fingerprint, a.manifest.fingerprint);
  const d = await runStage("demo", join(tmp, "stage"), { ...spec, params: { n: 2 } }, body, quiet);
  assert.equal(d.skipped, false);
  assert.equal(await Deno.readTextFile(join(tmp, "stage", "out.txt")), "two");
  assert.equal(runs, 4);
});
