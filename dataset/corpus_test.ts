import assert from "node:assert/strict";
import { join } from "node:path";
import { CorpusMissingError, REPO_ROOT, sharedDir, sharedPath } from "./corpus.ts";

Deno.test("sharedPath() names the missing path and how to point at the corpus", () => {
  assert.throws(
    () => sharedPath("data/no-such-corpus/train.csv.gz"),
    (e: unknown) =>
      e instanceof CorpusMissingError &&
      e.message.includes(join(sharedDir(), "data/no-such-corpus/train.csv.gz")) &&
      /CRYSTALLM_SHARED/.test(e.message) && /\.\.\/shared/.test(e.message),
  );
});

Deno.test("sharedDir() defaults to ../shared beside the repository", () => {
  if (Deno.env.get("CRYSTALLM_SHARED")) return; // overridden on purpose
  assert.equal(sharedDir(), join(REPO_ROOT, "..", "shared"));
});
