import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { hasShared, REPO_ROOT, SharedDataMissingError, sharedDir, sharedPath } from "./paths.ts";

/** Run `fn` with CRYSTALLM_SHARED set to `value` (unset for undefined), then restore it. */
function withShared<T>(value: string | undefined, fn: () => T): T {
  const old = Deno.env.get("CRYSTALLM_SHARED");
  if (value === undefined) Deno.env.delete("CRYSTALLM_SHARED");
  else Deno.env.set("CRYSTALLM_SHARED", value);
  try {
    return fn();
  } finally {
    if (old === undefined) Deno.env.delete("CRYSTALLM_SHARED");
    else Deno.env.set("CRYSTALLM_SHARED", old);
  }
}

Deno.test("REPO_ROOT is the folder holding deno.json, without a trailing slash", () => {
  assert.ok(Deno.statSync(join(REPO_ROOT, "deno.json")).isFile);
  assert.ok(!REPO_ROOT.endsWith("/"));
});

Deno.test("sharedPath() names the missing path and how to point at the shared data", () => {
  assert.throws(
    () => sharedPath("data/no-such-corpus/train.csv.gz"),
    (e: unknown) =>
      e instanceof SharedDataMissingError &&
      e.message.includes(join(sharedDir(), "data/no-such-corpus/train.csv.gz")) &&
      /CRYSTALLM_SHARED/.test(e.message) && /\.\.\/shared/.test(e.message),
  );
  assert.equal(hasShared("data/no-such-corpus/train.csv.gz"), false);
});

Deno.test("sharedDir() is ../shared beside the repository unless CRYSTALLM_SHARED is set and not empty", () => {
  const beside = join(REPO_ROOT, "..", "shared");
  assert.equal(withShared(undefined, sharedDir), beside);
  assert.equal(withShared("", sharedDir), beside);
  assert.equal(withShared("some/rel", sharedDir), resolve("some/rel"));
});

Deno.test("sharedPath() and hasShared() find a file under CRYSTALLM_SHARED", () => {
  const dir = Deno.makeTempDirSync();
  Deno.writeTextFileSync(join(dir, "x.txt"), "x");
  withShared(dir, () => {
    assert.equal(sharedPath("x.txt"), join(dir, "x.txt"));
    assert.equal(hasShared("x.txt"), true);
    assert.equal(hasShared("y.txt"), false);
  });
});
