/**
 * Every Python reference starts through `tests/python.ts`, with its CPU dispatch pinned.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { cpuHasAvx512, hasPython, NPY_DISABLE_CPU_FEATURES, referenceUnpinned, runPython } from "./python.ts";
import { REPO_ROOT } from "../core/paths.ts";

/** Every .ts file of the repository outside out/, .tools/ and ffi/build/. */
function sourceFiles(dir = REPO_ROOT): string[] {
  const files: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    const rel = relative(REPO_ROOT, p);
    if (e.isDirectory) {
      if (!e.name.startsWith(".") && !["out", "node_modules", "ffi/build"].includes(rel)) {
        files.push(...sourceFiles(p));
      }
    } else if (e.name.endsWith(".ts")) files.push(rel);
  }
  return files;
}

Deno.test("no module but tests/python.ts starts Python (other processes: deno, tar, git, bash, the FFI build tools)", () => {
  const allowed = new Map([
    ["tests/python.ts", ["PYTHON"]],
    ["ffi/build.ts", ["cmd"]],
    // the bundle's tool runners (tar, xz, ldd, readelf, unshare, chroot, debootstrap, sha256sum)
    ["bundle/_proc.ts", ["cmd"]],
    ["bundle/target.ts", ["cmd"]],
    ["bundle/archive_test.ts", ["cmd"]],
    ["bundle/elf_test.ts", ["cmd"]],
    ["bundle/manifest_test.ts", ["cmd"]],
    ["bundle/bundle_test.ts", ["cmd", "DENO"]],
    ["bundle/onnx_bundle_test.ts", ["cmd"]],
    ["bundle/_debian_root.ts", ["cmd"]],
    // the GPU server's own PyTorch, timed against ours; it compares no printed digits
    ["bench/gpu_check.ts", ["python"]],
    // Slurm's commands (sbatch, scontrol, scancel, squeue, sacct) and the local workers' shard runs
    ["sweep/slurm.ts", ["cmd"]],
    ["sweep/lock.ts", ['"squeue"']],
    ["sweep/local.ts", ["cmd"]],
    ["sweep/_test_utils.ts", ['"cp"']],
    ["sweep/slurm_test.ts", ['"scancel"']],
    // the test cluster: munged, slurmctld, slurmd, their config
    ["tests/slurm.ts", ['"sh"', "cmd"]],
  ]);
  const programs = ['"tar"', '"git"', '"bash"', '"ldd"', '"nvidia-smi"', '"mount"', '"umount"', '"true"'];
  const offenders: string[] = [];
  for (const file of sourceFiles()) {
    const text = Deno.readTextFileSync(join(REPO_ROOT, file));
    for (const m of text.matchAll(/new Deno\.Command\(\s*(Deno\.execPath\(\)|[^,)\s]+)/g)) {
      const what = m[1].trim();
      if (what === "Deno.execPath()" || programs.includes(what)) continue;
      if (allowed.get(file)?.includes(what)) continue;
      offenders.push(`${file}: Deno.Command(${what})`);
    }
    if (
      file !== "tests/python.ts" && file !== "ffi/build.ts" &&
      /["']\/usr\/bin\/python3["']/.test(text)
    ) {
      offenders.push(`${file}: names /usr/bin/python3 (use PYTHON from tests/python.ts)`);
    }
  }
  assert.deepEqual(offenders, []);
});

Deno.test({
  name: "a reference child runs with numpy's AVX-512 loops off",
  ignore: !hasPython(["numpy"]) || referenceUnpinned(),
  async fn() {
    const probe = [
      "-c",
      "import os, json, numpy.core._multiarray_umath as m; " +
      "print(json.dumps([os.environ.get('NPY_DISABLE_CPU_FEATURES'), m.__cpu_features__['AVX512F']]))",
    ];
    const [env, avx512] = JSON.parse(new TextDecoder().decode(await runPython(probe)));
    assert.equal(env, NPY_DISABLE_CPU_FEATURES);
    assert.equal(avx512, false);
    if (cpuHasAvx512()) {
      // the pin is what turns them off here: without it numpy would use them
      const [, unpinned] = JSON.parse(
        new TextDecoder().decode(await runPython(probe, undefined, { NPY_DISABLE_CPU_FEATURES: "" })),
      );
      assert.equal(unpinned, true);
    }
  },
});
