/**
 * The main job installs only what it runs; the test command adds the Python references.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "../core/paths.ts";

/** The Debian packages `bash tasks/setup.sh ...args` would install. */
function packages(...args: string[]): string[] {
  const out = new Deno.Command("bash", {
    args: [join(REPO_ROOT, "tasks/setup.sh"), ...args],
    env: { CRYSTALLM_SETUP_LIST: "1" },
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim().split("\n");
}

/** The setup.sh invocation of a task script (the line that calls it). */
function setupCall(script: string): string {
  const lines = Deno.readTextFileSync(join(REPO_ROOT, script)).split("\n");
  const calls = lines.filter((l) => !l.startsWith("#") && l.includes("tasks/setup.sh"));
  assert.equal(calls.length, 1, `${script} calls tasks/setup.sh once`);
  return calls[0];
}

Deno.test("tasks/main.sh installs no Python; tasks/test.sh adds the test-only references", () => {
  const main = packages();
  assert.deepEqual(main.filter((p) => p.startsWith("python3")), []);
  assert.ok(main.includes("libtorch-dev"));
  const test = packages("--test");
  for (const p of ["python3-torch", "python3-pymatgen", "python3-spglib", "python3-numpy", "debootstrap", "slurm-wlm", "munge"]) {
    assert.ok(test.includes(p), p);
  }
  assert.ok(!main.includes("debootstrap")); // the offline-bundle test's Debian 11 root only
  assert.ok(!main.includes("slurm-wlm")); // the sweep test's single-node Slurm only
  const testOnly = ["debootstrap", "slurm-wlm", "munge"];
  assert.deepEqual(test.filter((p) => !p.startsWith("python3") && !testOnly.includes(p)), main);
  assert.match(setupCall("tasks/main.sh"), /tasks\/setup\.sh"\)"$/);
  assert.match(setupCall("tasks/test.sh"), /tasks\/setup\.sh" --test\)"$/);
});

Deno.test("CI runs exactly the README's test command", () => {
  const ci = Deno.readTextFileSync(join(REPO_ROOT, ".ci/run")).split("\n").filter((l) =>
    l && !l.startsWith("#")
  );
  assert.equal(ci.at(-1), "bash tasks/test.sh");
  const readme = Deno.readTextFileSync(join(REPO_ROOT, "README.md"));
  assert.match(readme, /\nbash tasks\/test\.sh +# the test suite/);
});
