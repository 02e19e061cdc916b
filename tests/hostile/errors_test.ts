/**
 * Errors a user can read: one line naming the file or option and what to do, exit code 1
 * (a run that failed) or 2 (a mistake in what was given), a stack trace only with
 * `--debug`; `evaluate` checks `--out` first and reads a `.tar.gz`; bounded cost on huge
 * CIFs; `train_log.csv` survives a kill.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describeFailure } from "../../tasks/crystallm.ts";
import { loadLibrary } from "../../ffi/mod.ts";
import { CORPUS, crystallm, expectOutcome, makeSandbox, REPO_ROOT } from "./_test_utils.ts";

const NACL = join(REPO_ROOT, "fixtures", "nacl10");
const MIX = join(REPO_ROOT, "fixtures", "mix154");

Deno.test("describeFailure() gives a full disk, a read-only file system and permissions exit 1 with what to do", () => {
  // a real ENOSPC from the kernel: /dev/full refuses every write
  let enospc: unknown;
  try {
    Deno.writeFileSync("/dev/full", new Uint8Array(16));
  } catch (e) {
    enospc = e;
  }
  assert.ok(enospc, "/dev/full accepted a write");
  assert.deepEqual(describeFailure(enospc), {
    message: `error: ${(enospc as Error).message}: the disk is full; free space or write to another --out`,
    exitCode: 1,
  });
  const eperm = (() => {
    try {
      Deno.mkdirSync("/proc/crystallm-hostile");
    } catch (e) {
      return e;
    }
  })();
  assert.equal(describeFailure(eperm).exitCode, eperm instanceof Deno.errors.NotFound ? 2 : 1);
  const usage = Object.assign(new Error("models is empty"), { name: "ExperimentError" });
  assert.deepEqual(describeFailure(usage), { message: "error: models is empty", exitCode: 2 });
  assert.match(describeFailure(new TypeError("x is undefined")).message, /^error: TypeError: x is undefined \(add --debug for the stack trace\)$/);
});

Deno.test("a full disk under --out: exit 1, one line, no stack trace, the lock released", {
  // a 12 KiB tmpfs as --out needs mount(2): root on Linux
  ignore: Deno.build.os !== "linux" || Deno.uid() !== 0,
}, async () => {
  const box = await makeSandbox();
  const disk = join(box.out, "disk");
  await Deno.mkdir(disk);
  const mount = await new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", "size=12k", "tmpfs", disk], stderr: "piped" }).output();
  if (!mount.success) {
    console.warn(`skipped: mount tmpfs failed: ${new TextDecoder().decode(mount.stderr)}`);
    return;
  }
  try {
    await expectOutcome(box, ["run", join(CORPUS, "yaml", "tiny.yaml"), "--out", disk], {
      code: 1,
      matches: [/^error: No space left on device.*: the disk is full; free space or write to another --out$/m],
    });
    assert.throws(() => Deno.statSync(join(disk, "tiny", "run.lock")), Deno.errors.NotFound);
    assert.throws(() => Deno.statSync(join(disk, "tiny", "metrics.json")), Deno.errors.NotFound);
  } finally {
    await new Deno.Command("umount", { args: [disk] }).output();
    await Deno.remove(box.root, { recursive: true });
  }
});

Deno.test("an unwritable --out: evaluate and run fail before any work, exit 1, one line", async (t) => {
  const box = await makeSandbox();
  const file = join(box.root, "a-file");
  await Deno.writeTextFile(file, "");
  await t.step("evaluate: --out under a regular file", async () => {
    const r = await expectOutcome(box, ["evaluate", MIX, "--out", join(file, "eval.csv")], {
      code: 1,
      matches: [/^error: Cannot write --out .*a-file\/eval\.csv: .*a-file.*; choose a writable path$/m],
    });
    assert.doesNotMatch(r.stdout, /parsed:/, "it evaluated before checking --out");
  });
  await t.step("evaluate: --out in a read-only system folder", async () => {
    await expectOutcome(box, ["evaluate", MIX, "--out", "/sys/crystallm-hostile/eval.csv"], {
      code: 1,
      matches: [/^error: Cannot write --out \/sys\/crystallm-hostile\/eval\.csv: .*; choose a writable path$/m],
    });
  });
  await t.step("run: --out in a read-only system folder", async () => {
    await expectOutcome(box, ["run", join(CORPUS, "yaml", "tiny.yaml"), "--out", "/sys/crystallm-hostile"], {
      code: 1,
      matches: [/^error: .*\/sys\/crystallm-hostile.*(permission denied; choose a path you can write|read-only; choose a writable --out)/m],
    });
  });
  await Deno.remove(box.root, { recursive: true });
});

Deno.test("evaluate reads a .tar.gz as its help says, with the folder's metrics", async () => {
  const box = await makeSandbox();
  const tgz = join(box.root, "nacl10.tar.gz");
  const tar = await new Deno.Command("tar", { args: ["czf", tgz, "-C", REPO_ROOT, "fixtures/nacl10"] }).output();
  assert.ok(tar.success);
  const fromDir = await expectOutcome(box, ["evaluate", NACL, "--out", join(box.out, "dir.csv")], { code: 0 });
  const fromTgz = await expectOutcome(box, ["evaluate", tgz, "--out", join(box.out, "tgz.csv")], {
    code: 0,
    matches: [/parsed:\s+10\/10/],
  });
  assert.equal(fromTgz.stdout, fromDir.stdout);
  // the same rows (an archive lists its members in archive order, a folder by name)
  const rows = async (f: string) => (await Deno.readTextFile(join(box.out, f))).trim().split("\n").sort();
  assert.deepEqual(await rows("tgz.csv"), await rows("dir.csv"));
  await Deno.remove(box.root, { recursive: true });
});

Deno.test("expected failures print one line; an unexpected one adds --debug's stack trace only when asked", async (t) => {
  const box = await makeSandbox();
  await t.step({
    name: "a CUDA request on a CPU build",
    ignore: (() => {
      try {
        return loadLibrary().cuda_available;
      } catch {
        return true;
      }
    })(),
    fn: async () => {
      await expectOutcome(box, ["sample", "--ckpt", join(REPO_ROOT, "fixtures", "base"), "--prompt", "NaCl", "--n", "1", "--out", join(box.out, "s"), "--device", "cuda"], {
        code: 2,
        matches: [/^error: Cannot use --device cuda: .*CPU-only.*or use --device cpu$/m],
      });
    },
  });
  await t.step("invalid options exit 2", async () => {
    await expectOutcome(box, ["sample", "--ckpt", "x", "--prompt", "NaCl", "--n", "ten", "--out", join(box.out, "s")], { code: 2, matches: [/not an integer: ten/] });
    await expectOutcome(box, ["evaluate", NACL, "--out", join(box.out, "e.csv"), "--max-atoms", "0"], { code: 2, matches: [/--max-atoms.*expected a positive integer, got 0/] });
  });
  await t.step("an unexpected failure: one line, exit 1; --debug adds the stack", async () => {
    const r = await expectOutcome(box, ["score", "--ckpt", join(REPO_ROOT, "fixtures", "base"), NACL], {
      code: 1,
      matches: [/^error: IsADirectory: .*nacl10.*\(add --debug for the stack trace\)$/m],
    });
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    const d = await crystallm("score", "--ckpt", join(REPO_ROOT, "fixtures", "base"), NACL, "--debug");
    assert.equal(d.code, 1);
    assert.match(d.stderr, /^\s+at .*score\.ts/m);
  });
  await Deno.remove(box.root, { recursive: true });
});

Deno.test("evaluate bounds the cost of huge CIFs: early limits on size and atom sites, flags to raise them", async () => {
  const box = await makeSandbox();
  // a 100,000-atom P1 cell (took 390 s in evaluate before the limit)
  const lines = ["data_Na100000", "_symmetry_space_group_name_H-M 'P 1'", "_cell_length_a 200", "_cell_length_b 200", "_cell_length_c 200",
    "_cell_angle_alpha 90", "_cell_angle_beta 90", "_cell_angle_gamma 90", "_symmetry_Int_Tables_number 1",
    "loop_", "_atom_site_type_symbol", "_atom_site_label", "_atom_site_symmetry_multiplicity", "_atom_site_fract_x", "_atom_site_fract_y", "_atom_site_fract_z", "_atom_site_occupancy"];
  for (let i = 0; i < 100_000; i++) lines.push(`Na Na${i} 1 ${(i % 47) / 47} ${(Math.floor(i / 47) % 47) / 47} ${Math.floor(i / 2209) / 46} 1`);
  const dir = join(box.root, "huge");
  await Deno.mkdir(dir);
  await Deno.writeTextFile(join(dir, "huge.cif"), lines.join("\n") + "\n");
  await Deno.copyFile(join(NACL, "NaCl_B1_1GPa.cif"), join(dir, "small.cif"));
  const t0 = performance.now();
  await expectOutcome(box, ["evaluate", dir, "--out", join(box.out, "e.csv")], {
    code: 2,
    matches: [/^error: Cannot evaluate huge\.cif in .*huge: \d{7} bytes is over the limit of 2000000; raise it with --max-cif-bytes$/m],
  });
  await expectOutcome(box, ["evaluate", dir, "--out", join(box.out, "e.csv"), "--max-cif-bytes", "100000000"], {
    code: 2,
    matches: [/^error: Cannot evaluate huge\.cif in .*huge: 100000 atom sites is over the limit of 2000; raise it with --max-atoms$/m],
  });
  assert.ok(performance.now() - t0 < 30_000, "the limits did not stop the work early");
  await expectOutcome(box, ["evaluate", NACL, "--out", join(box.out, "e.csv"), "--max-atoms", "1"], {
    code: 2,
    matches: [/Cannot evaluate NaCl_\S+\.cif in .*nacl10: \d+ atom sites is over the limit of 1; raise it with --max-atoms/],
  });
  assert.throws(() => Deno.statSync(join(box.out, "e.csv")), Deno.errors.NotFound);
  await Deno.remove(box.root, { recursive: true });
});

Deno.test("train_log.csv is appended at every log interval: a killed run keeps what it logged", async () => {
  const box = await makeSandbox();
  const tokens = join(box.root, "tokens");
  await Deno.mkdir(tokens);
  for (const f of ["train.bin", "val.bin"]) await Deno.copyFile(join(CORPUS, "tokens", "in_vocab", f), join(tokens, f));
  await Deno.copyFile(join(REPO_ROOT, "..", "shared", "oracle", "tokenizer", "meta.pkl"), join(tokens, "meta.pkl"));
  const out = join(box.out, "t");
  const cfg = join(box.root, "train.yaml");
  await Deno.writeTextFile(cfg, `init_from: scratch\ndataset: ${tokens}\nout_dir: ${out}\nn_layer: 1\nn_head: 2\nn_embd: 32\n` +
    `block_size: 32\nbatch_size: 2\nmax_iters: 1000000\neval_interval: 1000000\nlog_interval: 2\n`);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(REPO_ROOT, "tasks", "crystallm.ts"), "train", "--config", cfg, "--no-progress"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const csv = join(out, "train_log.csv");
  const rows = () => {
    try {
      return Deno.readTextFileSync(csv).trim().split("\n");
    } catch {
      return [];
    }
  };
  for (let i = 0; i < 1200 && rows().length < 8; i++) await new Promise((r) => setTimeout(r, 50));
  child.kill("SIGKILL");
  await child.status;
  const log = rows();
  assert.ok(log.length >= 8, `train_log.csv had ${log.length} lines when the run was killed`);
  assert.equal(log[0], "iteration,lr,train_loss,val_loss,tokens_per_s");
  // whole rows, in order from 0, a multiple of log_interval at the end
  const its = log.slice(1).map((l) => Number(l.split(",")[0]));
  assert.deepEqual(its, its.map((_, i) => i));
  assert.equal((its.length - 1) % 2, 0);
  await Deno.remove(box.root, { recursive: true });
});
