/**
 * End-to-end tests of offline bundles: a nacl10 bundle is made twice (the archives must be
 * byte-identical), unpacked, moved, and run with no network and empty HOME/DENO_DIR/PATH;
 * then in a Debian 11 root (glibc 2.31, no libtorch, no compiler); then damaged.
 *
 * Parts that need root (network namespaces, bind mounts, debootstrap) are skipped with a
 * printed reason where they are not permitted.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "../core/paths.ts";
import { buildFfi, findLibtorch } from "../ffi/build.ts";
import { debianRoot } from "./_debian_root.ts";

const DENO = Deno.execPath();
const dec = new TextDecoder();

interface Out {
  code: number;
  out: string;
}

function sh(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; clearEnv?: boolean } = {},
): Out {
  try {
    const o = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", ...opts }).outputSync();
    return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
  } catch (e) {
    return { code: 127, out: String(e) };
  }
}

/** Absolute path of a program on this process's PATH (a child's PATH may be empty). */
function which(name: string): string {
  for (const d of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
    if (d && isFile(join(d, name))) return join(d, name);
  }
  return name;
}
const UNSHARE = which("unshare");

function cli(args: string[]): Out {
  return sh(DENO, ["run", "-A", join(REPO_ROOT, "tasks/crystallm.ts"), ...args], { cwd: REPO_ROOT });
}

async function cliAsync(args: string[]): Promise<Out> {
  const o = await new Deno.Command(DENO, {
    args: ["run", "-A", join(REPO_ROOT, "tasks/crystallm.ts"), ...args],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
}

/** Why a root-only tool cannot run here, or undefined when it can. */
function cannot(args: string[]): string | undefined {
  const r = sh(UNSHARE, args);
  return r.code === 0
    ? undefined
    : `\`unshare ${args.join(" ")}\` is not permitted here (${r.out.trim() || `exit ${r.code}`})`;
}

function isEmptyTree(dir: string): boolean {
  return [...Deno.readDirSync(dir)].length === 0;
}

const noLibtorch = !Deno.env.get("CRYSTALLM_LIB") && !findLibtorch();
if (noLibtorch) console.log("bundle_test: skipped: no libtorch to build libcrystallm.so (see README)");

Deno.test({
  name:
    "bundle create/verify: a nacl10 bundle runs offline, moved, read-only, in Debian 11, and detects damage",
  ignore: noLibtorch,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const tmp = await Deno.makeTempDir({ prefix: "crystallm-bundle-test-" });
    try {
      if (!Deno.env.get("CRYSTALLM_LIB")) await buildFfi();
      // a finished ci run of nacl10, shipped as --data: the samples Debian 11 post-processes
      const runs = join(tmp, "runs");
      const r0 = cli(["run", "nacl10", "--profile", "ci", "--out", runs]);
      assert.equal(r0.code, 0, r0.out);

      const make = (parent: string) =>
        cliAsync([
          "bundle",
          "create",
          "--out",
          join(tmp, parent, "nacl10-bundle"),
          "--experiment",
          "nacl10",
          "--data",
          join(runs, "nacl10"),
          "--archive",
        ]);
      const archive = join(tmp, "a", "nacl10-bundle.tar.xz");

      await t.step("two bundle create --archive runs give byte-identical archives", async () => {
        // side by side; xz -9 on one thread took most of this test's 15 minutes: a fast level
        // tests the same determinism (the README's sizes are measured at -9)
        Deno.env.set("CRYSTALLM_XZ_LEVEL", "1");
        const [a, b] = await Promise.all([make("a"), make("b")]);
        assert.equal(a.code, 0, a.out);
        assert.equal(b.code, 0, b.out);
        const sha = (p: string) => sh("sha256sum", [p]).out.split(" ")[0];
        assert.equal(sha(archive), sha(join(tmp, "b", "nacl10-bundle.tar.xz")));
        assert.equal(
          Deno.readTextFileSync(`${archive}.sha256`),
          `${sha(archive)}  nacl10-bundle.tar.xz\n`,
        );
        // no temporary folder left beside the bundle
        assert.deepEqual(
          [...Deno.readDirSync(join(tmp, "a"))].map((e) => e.name).sort(),
          ["nacl10-bundle", "nacl10-bundle.tar.xz", "nacl10-bundle.tar.xz.sha256"],
        );
        const mib = Deno.statSync(archive).size / 2 ** 20;
        console.log(`nacl10 bundle archive (with a ci run as --data): ${mib.toFixed(1)} MiB`);
      });

      // unpack into a new folder, then move it: nothing may depend on the first path
      const unpacked = join(tmp, "unpacked");
      Deno.mkdirSync(unpacked);
      assert.equal(sh("tar", ["-xJf", archive, "-C", unpacked]).code, 0);
      const moved = join(tmp, "elsewhere", "b");
      Deno.mkdirSync(join(tmp, "elsewhere"));
      Deno.renameSync(join(unpacked, "nacl10-bundle"), moved);
      const manifestSha = sh("sha256sum", [join(moved, "manifest-sha256.txt")]).out.split(" ")[0];
      const empty = join(tmp, "empty");
      for (const d of ["home", "deno_dir", "xdg", "bin"]) Deno.mkdirSync(join(empty, d), { recursive: true });
      const bare = {
        HOME: join(empty, "home"),
        DENO_DIR: join(empty, "deno_dir"),
        XDG_CACHE_HOME: join(empty, "xdg"),
        PATH: join(empty, "bin"),
      };
      const offline = (args: string[], extra: Record<string, string> = {}) =>
        sh(UNSHARE, ["-n", join(moved, "crystallm"), ...args], {
          clearEnv: true,
          env: { ...bare, ...extra },
        });

      await t.step(
        "with no network and empty HOME, DENO_DIR, XDG_CACHE_HOME and PATH: verify, the nacl10 audit and a setup build pass",
        () => {
          const why = cannot(["-n", "true"]);
          if (why) return console.log(`skipped: ${why}`);
          const v = offline(["verify"]);
          assert.equal(v.code, 0, v.out);
          assert.match(v.out, /files: \d+ intact, 0 missing, 0 changed, 0 extra/);
          assert.match(v.out, new RegExp(`manifest-sha256.txt SHA-256: ${manifestSha}`));
          assert.match(v.out, /verify: OK/);
          const s = offline(["setup"]);
          assert.equal(s.code, 0, s.out);
          const a = offline(["audit", "nacl10", "--profile", "ci"]);
          assert.equal(a.code, 0, a.out);
          assert.match(a.out, /audit: OK/);
          for (const d of ["home", "deno_dir", "xdg", "bin"]) {
            assert.ok(isEmptyTree(join(empty, d)), `${d} was written`);
          }
          // outputs and caches went to the bundle's var/, the payload is untouched
          assert.ok(Deno.statSync(join(moved, "var/out/nacl10/metrics.json")).isFile);
          const again = offline(["verify"]);
          assert.equal(again.code, 0, again.out);
          // the path a GPU server takes: build against the machine's libtorch, offline, into var/
          const b = offline(["setup", "--rebuild"], { CRYSTALLM_BUILD_JOBS: "2" });
          assert.equal(b.code, 0, b.out);
          assert.match(
            b.out,
            /setup: built \S+\/var\/ffi-build\/libcrystallm\.so against libtorch from \S+ \(libtorch \S+, CUDA/,
          );
          const chosen = offline(["verify"]);
          assert.equal(chosen.code, 0, chosen.out);
          assert.match(
            chosen.out,
            /native library: libcrystallm\.so chosen by setup \(\S+\/var\/ffi-build\/libcrystallm\.so\) resolves all its libraries/,
          );
          for (const d of ["home", "deno_dir", "xdg", "bin"]) {
            assert.ok(isEmptyTree(join(empty, d)), `${d} was written`);
          }
        },
      );

      await t.step("a read-only bundle keeps its state in $TMPDIR", () => {
        const why = cannot(["-m", "true"]) ?? cannot(["-n", "true"]);
        if (why) return console.log(`skipped: ${why}`);
        const tmpdir = join(tmp, "rotmp");
        Deno.mkdirSync(tmpdir);
        const script = `mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && ` +
          `! touch "$1/probe" 2>/dev/null && "$1/crystallm" verify && "$1/crystallm" run nacl10 --profile ci`;
        const r = sh(UNSHARE, ["-n", "-m", "sh", "-c", script, "sh", moved], {
          clearEnv: true,
          env: { ...bare, TMPDIR: tmpdir, PATH: "/usr/bin:/bin" },
        });
        assert.equal(r.code, 0, r.out);
        const state = [...Deno.readDirSync(tmpdir)].map((e) => e.name);
        assert.equal(state.length, 1);
        assert.match(state[0], /^crystallm-\d+-\d+$/);
        assert.ok(Deno.statSync(join(tmpdir, state[0], "out/nacl10/metrics.json")).isFile);
      });

      await t.step(
        "in a Debian 11 root (glibc 2.31): verify, postprocess, evaluate and the report run; setup says what is missing",
        () => {
          const root = debianRoot();
          if (typeof root !== "string") return console.log(`skipped: ${root.skip}`);
          const opt = join(root, "opt", "nacl10-bundle");
          try {
            assert.equal(sh("cp", ["-a", moved, opt]).code, 0);
            Deno.removeSync(join(opt, "var"), { recursive: true });
            // the shipped run, minus what the target must redo: post-processing, evaluation, summary, report
            const script = `mount -t proc proc "$1/proc" && exec chroot "$1" /bin/sh -c '
            set -e
            cd /opt/nacl10-bundle
            ./crystallm verify > /tmp/verify.txt 2>&1 || { cat /tmp/verify.txt; exit 11; }
            cat /tmp/verify.txt
            if ./crystallm setup > /tmp/setup.txt 2>&1; then cat /tmp/setup.txt; exit 12; fi
            cat /tmp/setup.txt
            rm -rf /tmp/o && mkdir -p /tmp/o && cp -a data/extra/data/nacl10 /tmp/o/nacl10
            rm -rf /tmp/o/nacl10/sample/*/*/*/processed /tmp/o/nacl10/sample/*/*/*/eval
            rm -f /tmp/o/nacl10/report.html /tmp/o/nacl10/metrics.json /tmp/o/nacl10/summary*
            ./crystallm run nacl10 --profile ci --out /tmp/o
            test -s /tmp/o/nacl10/report.html'`;
            const r = sh(UNSHARE, ["-n", "-m", "sh", "-c", script, "sh", root], {
              clearEnv: true,
              env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOME: "/root" },
            });
            assert.equal(r.code, 0, r.out);
            // verify passes and states the floor honestly: the prebuilt library needs a newer glibc
            assert.match(r.out, /glibc: 2\.31 here; bundle floor 2\.3[4-9]/);
            assert.match(r.out, /data\/lib\/libcrystallm\.so needs glibc 2\.3\d and cannot load here/);
            assert.match(r.out, /verify: OK/);
            // setup: one message naming each missing piece
            assert.match(
              r.out,
              /setup: cannot build libcrystallm\.so here; missing:\n {2}- CMake[^\n]*\n {2}- a C\+\+17 compiler[^\n]*\n {2}- ninja or make\n {2}- libtorch/,
            );
            // train and sample were shipped (skipped), the rest ran on glibc 2.31
            assert.match(r.out, /\[train\/nacl10\] unchanged/);
            assert.match(r.out, /\[sample\/nacl10\/[^\]]+\] unchanged/);
            assert.match(r.out, /\[postprocess\/nacl10\/[^\]]+\] running/);
            assert.match(r.out, /\[evaluate\/nacl10\/[^\]]+\] running/);
            const there = JSON.parse(Deno.readTextFileSync(join(root, "tmp/o/nacl10/metrics.json")));
            const here = JSON.parse(Deno.readTextFileSync(join(runs, "nacl10/metrics.json")));
            assert.deepEqual(there, here);
            assert.match(Deno.readTextFileSync(join(root, "tmp/o/nacl10/report.html")), /<svg/);
          } finally {
            Deno.removeSync(opt, { recursive: true });
            Deno.removeSync(join(root, "tmp/o"), { recursive: true });
          }
        },
      );

      await t.step(
        "verify names a flipped byte and a stray file, from the launcher and from a checkout",
        () => {
          Deno.removeSync(join(moved, "var"), { recursive: true });
          const cif = [...Deno.readDirSync(join(moved, "data/app/fixtures/nacl10"))].map((e) =>
            e.name
          ).sort()[0];
          const victim = join(moved, "data/app/fixtures/nacl10", cif);
          const bytes = Deno.readFileSync(victim);
          bytes[100] ^= 0x20;
          Deno.writeFileSync(victim, bytes);
          const v = sh(join(moved, "crystallm"), ["verify"]);
          assert.equal(v.code, 1, v.out);
          assert.match(v.out, new RegExp(`changed: data/app/fixtures/nacl10/${cif.replace(".", "\\.")}\n`));
          assert.match(v.out, /verify: FAILED/);
          bytes[100] ^= 0x20;
          Deno.writeFileSync(victim, bytes);
          Deno.writeTextFileSync(join(moved, "data/app/run/stray.ts"), "// not in the manifest\n");
          const c = cli(["bundle", "verify", moved]);
          assert.equal(c.code, 1, c.out);
          assert.match(
            c.out,
            /files: \d+ intact, 0 missing, 0 changed, 1 extra\n {2}extra: {3}data\/app\/run\/stray\.ts\n/,
          );
          Deno.removeSync(join(moved, "data/app/run/stray.ts"));
          // the Deno binary is checked by the launcher before it runs
          const deno = join(moved, "data/bin/deno");
          const f = Deno.openSync(deno, { read: true, write: true });
          f.seekSync(4096, Deno.SeekMode.Start);
          const one = new Uint8Array(1);
          f.readSync(one);
          f.seekSync(4096, Deno.SeekMode.Start);
          f.writeSync(new Uint8Array([one[0] ^ 0xff]));
          f.close();
          const d = sh(join(moved, "crystallm"), ["verify"]);
          assert.equal(d.code, 1, d.out);
          assert.match(d.out, /data\/bin\/deno: FAILED/);
          // and the archive itself verifies from a checkout
          const z = cli(["bundle", "verify", archive]);
          assert.equal(z.code, 0, z.out);
          assert.match(z.out, /verify: OK/);
        },
      );
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

function isFile(p: string): boolean {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
}
